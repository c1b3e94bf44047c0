"""An index of a repository's files, cached in SQLite and keyed by file content.

For every file: its symbols (tree-sitter), its import lines, and the counts of the words in it
(identifiers split at case and underscores), as postings for lexical search. A file whose size
and modification time have not changed is not read again; a file whose content is already known
(same digest) is not parsed again. So a second map of a large tree reads almost nothing.

Secrets are masked (gearshift.secrets) before a file is indexed: the cache never holds a key, nor
the pieces the word splitter would cut it into, and the map built from it never shows one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gearshift.context.facts import LANGUAGES, imports_in, resolve_imports
from gearshift.context.files import list_files
from gearshift.context.symbols import Symbol, extract_symbols, language_of
from gearshift.secrets import mask

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER, mtime INTEGER, digest TEXT);
CREATE TABLE IF NOT EXISTS docs (digest TEXT PRIMARY KEY, length INTEGER, symbols TEXT, imports TEXT);
CREATE TABLE IF NOT EXISTS postings (term TEXT, digest TEXT, tf INTEGER);
CREATE INDEX IF NOT EXISTS postings_by_term ON postings (term);
CREATE TABLE IF NOT EXISTS graphs (key TEXT PRIMARY KEY, links TEXT);
"""
# Raised when what the cache holds changes meaning; an older cache is deleted, not migrated.
# 1: file contents are masked before they are indexed (older caches may hold secrets).
CACHE_VERSION = 1
MAX_INDEXED_BYTES = 1_000_000  # larger files are listed by path only
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9]*|[0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "this",
        "that",
        "when",
        "not",
        "no",
        "use",
        "add",
        "fix",
    }
)
SYMBOL_PREFIX = "@"  # postings of words in symbol names are kept apart from the content's


def words(text: str) -> list[str]:
    """Lower-case word stems of text or code: getUserName -> get, user, name; stemmed lightly."""
    return [word for token in _IDENTIFIER.findall(text) for word in _split(token)]


def word_counts(text: str) -> Counter[str]:
    """words(text), counted; each distinct identifier is split once, however often it occurs."""
    counts: Counter[str] = Counter()
    for token, times in Counter(_IDENTIFIER.findall(text)).items():
        for word in _split(token):
            counts[word] += times
    return counts


@functools.lru_cache(maxsize=200_000)
def _split(token: str) -> tuple[str, ...]:
    parts = [token] if token.isdigit() else _CAMEL.findall(token)
    out = []
    for part in parts:
        word = stem(part.lower())
        if len(word) > 1 and word not in STOPWORDS:
            out.append(word)
    return tuple(out)


def stem(word: str) -> str:
    """A light stemmer that brings inflections together: handle, handles, handled, handling -> handl."""
    for suffix in ("ing", "ed", "es", "s", "e"):
        if len(word) >= len(suffix) + 4 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True)
class IndexedFile:
    path: str
    digest: str | None  # None: not a text file we index (binary, or too large)
    language: str | None


class RepoIndex:
    def __init__(self, root: Path, cache_path: Path) -> None:
        self.root = root
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(cache_path, isolation_level=None)
        if self.db.execute("PRAGMA user_version").fetchone()[0] != CACHE_VERSION:
            # deleted whole: dropped tables would leave their old pages, secrets and all, in the file
            self.db.close()
            for stale in (cache_path, *(cache_path.with_name(cache_path.name + end) for end in ("-wal", "-shm"))):
                stale.unlink(missing_ok=True)
            self.db = sqlite3.connect(cache_path, isolation_level=None)
            self.db.execute(f"PRAGMA user_version = {CACHE_VERSION}")
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.executescript(SCHEMA)
        self.files: list[IndexedFile] = []
        self.stats = {"files": 0, "read": 0, "parsed": 0}

    def close(self) -> None:
        self.db.close()

    def refresh(self) -> list[IndexedFile]:
        """Bring the index up to date with the tree; return every file, indexed or listed."""
        known = {row[0]: row[1:] for row in self.db.execute("SELECT path, size, mtime, digest FROM files")}
        have_docs: set[str] | None = None  # read only if some file changed
        files: list[IndexedFile] = []
        new_paths: list[tuple[str, int, int, str]] = []
        pending: dict[str, tuple[str, bytes, str | None]] = {}  # digest -> what to index
        root = str(self.root)
        for path in list_files(self.root):
            full = os.path.join(root, path)  # plain strings: this loop runs for every file of the tree
            try:
                stat = os.stat(full)
            except OSError:
                continue
            language = LANGUAGES.get(os.path.splitext(path)[1].lower())
            previous = known.get(path)
            if previous and previous[0] == stat.st_size and previous[1] == stat.st_mtime_ns:
                files.append(IndexedFile(path, previous[2], language))
                continue
            digest = None
            if stat.st_size <= MAX_INDEXED_BYTES:
                self.stats["read"] += 1
                with open(full, "rb") as handle:
                    data = handle.read()
                if b"\0" not in data[:8192]:
                    digest = hashlib.sha1(data).hexdigest()
                    if have_docs is None:
                        have_docs = {row[0] for row in self.db.execute("SELECT digest FROM docs")}
                    if digest not in have_docs and digest not in pending:
                        pending[digest] = (path, data, language)
            new_paths.append((path, stat.st_size, stat.st_mtime_ns, digest or ""))
            files.append(IndexedFile(path, digest, language))
        if new_paths or pending:
            self.stats["parsed"] = len(pending)
            self._store(new_paths, [(digest, *item) for digest, item in pending.items()])
        self.files = files
        self.stats["files"] = len(files)
        return files

    def _store(self, paths: list[tuple[str, int, int, str]], todo: list[tuple[str, str, bytes, str | None]]) -> None:
        documents = _documents(todo)
        first_build = self.db.execute("SELECT 1 FROM postings LIMIT 1").fetchone() is None
        with self.db:
            self.db.execute("BEGIN")
            if first_build:  # building the term index once, after the bulk insert, is much faster
                self.db.execute("DROP INDEX IF EXISTS postings_by_term")
            self.db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", paths)
            self.db.executemany("INSERT OR IGNORE INTO docs VALUES (?, ?, ?, ?)", [row for row, _ in documents])
            self.db.executemany("INSERT INTO postings VALUES (?, ?, ?)", (p for _, ps in documents for p in ps))
            if first_build:
                self.db.execute("CREATE INDEX IF NOT EXISTS postings_by_term ON postings (term)")
        if first_build:  # fold the bulk insert into the database now, not on the next reader's time
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # --- reading -----------------------------------------------------------------------------

    def postings(self, terms: list[str]) -> dict[str, dict[str, int]]:
        """term -> {digest: count} for the given terms."""
        found: dict[str, dict[str, int]] = {term: {} for term in terms}
        if not terms:
            return found
        marks = ",".join("?" for _ in terms)
        for term, digest, tf in self.db.execute(
            f"SELECT term, digest, tf FROM postings WHERE term IN ({marks})", terms
        ):
            found[term][digest] = tf
        return found

    def lengths(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT digest, length FROM docs"))

    def symbols(self, digests: list[str]) -> dict[str, list[dict[str, object]]]:
        if not digests:
            return {}
        marks = ",".join("?" for _ in digests)
        rows = self.db.execute(f"SELECT digest, symbols FROM docs WHERE digest IN ({marks})", digests)
        return {digest: json.loads(symbols) for digest, symbols in rows}

    def imports(self) -> dict[str, list[str]]:
        return {digest: json.loads(imports) for digest, imports in self.db.execute("SELECT digest, imports FROM docs")}

    def path_words(self, files: list[IndexedFile]) -> dict[str, Counter[str]]:
        return {f.path: word_counts(f.path) for f in files}

    def import_links(self, files: list[IndexedFile]) -> dict[str, set[str]]:
        """path -> the files it imports or is imported by; cached for this exact set of files and contents."""
        key = hashlib.sha1("\0".join(f"{f.path}:{f.digest}" for f in files).encode()).hexdigest()
        row = self.db.execute("SELECT links FROM graphs WHERE key = ?", [key]).fetchone()
        if row:
            return {path: set(targets) for path, targets in json.loads(row[0]).items()}
        imports = self.imports()
        raw = {f.path: (f.language or "", imports.get(f.digest or "", [])) for f in files if f.language}
        links: dict[str, set[str]] = {}
        for path, targets in resolve_imports(raw).items():
            links.setdefault(path, set()).update(targets)
            for target in targets:
                links.setdefault(target, set()).add(path)
        with self.db:
            self.db.execute("DELETE FROM graphs")  # only the newest tree's graph is worth keeping
            self.db.execute(
                "INSERT INTO graphs VALUES (?, ?)", [key, json.dumps({p: sorted(t) for p, t in links.items()})]
            )
        return links


Document = tuple[tuple[str, int, str, str], list[tuple[str, str, int]]]
PARALLEL_FROM = 300  # documents; below this, starting worker processes costs more than it saves


def _documents(todo: list[tuple[str, str, bytes, str | None]]) -> list[Document]:
    """Index new documents, on every core when there are many (spawned workers: no state is shared)."""
    workers = os.cpu_count() or 1
    if len(todo) < PARALLEL_FROM or workers < 2:
        return [_document(item) for item in todo]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_document, todo, chunksize=64))


def _document(item: tuple[str, str, bytes, str | None]) -> Document:
    """One file's row for the docs table and its postings: symbols, imports and word counts."""
    digest, path, data, language = item
    text, masked = mask(data.decode("utf-8", "replace"))
    if masked:  # masking keeps line breaks: the symbols' line numbers are the file's own
        data = text.encode("utf-8")
    symbols: list[Symbol] = []
    imports: list[str] = []
    if language_of(path):
        try:
            symbols = extract_symbols(path, data)
        except Exception:  # a grammar that cannot parse a file leaves it listed by path
            symbols = []
    if language:
        imports = imports_in(text, language)
    counts = word_counts(text) if language or _is_text_document(path) else Counter()
    postings = [(term, digest, tf) for term, tf in counts.items()]
    named = Counter(word for symbol in symbols for word in words(symbol.name))
    postings.extend((SYMBOL_PREFIX + term, digest, tf) for term, tf in named.items())
    row = (digest, sum(counts.values()), json.dumps([s.to_json() for s in symbols]), json.dumps(imports))
    return row, postings


def _is_text_document(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in {".md", ".rst", ".txt", ".toml", ".yaml", ".yml", ".cfg", ".ini"}
