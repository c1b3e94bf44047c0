"""An index of a repository's files, cached in SQLite and keyed by file content.

For every file: its symbols (tree-sitter), its import lines, and the counts of the words in it
(context.words), as postings for lexical search; and, for maps that count in o200k_base, the
tokens of every line a map could show of it (context.maptext). A file whose size and modification
time have not changed is not read again; a file whose content is already known (same digest) is
not parsed again. So a second map of a large tree reads, parses and counts nothing.

Secrets are masked (gearshift.secrets) before a file is indexed: the cache never holds a key, nor
the pieces the word splitter would cut it into, and the map built from it never shows one.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gearshift.context import maptext
from gearshift.context.facts import LANGUAGES, imports_in, resolve_imports
from gearshift.context.files import left_out_of_map, listed_files
from gearshift.context.symbols import ASSIGNMENTS, Symbol, extract_symbols, language_of
from gearshift.context.words import word_counts as word_counts
from gearshift.context.words import words as words
from gearshift.secrets import mask

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER, mtime INTEGER, digest TEXT, words INTEGER);
CREATE TABLE IF NOT EXISTS docs (digest TEXT PRIMARY KEY, length INTEGER, symbols TEXT, imports TEXT);
CREATE TABLE IF NOT EXISTS postings (term TEXT, digest TEXT, tf INTEGER);
CREATE INDEX IF NOT EXISTS postings_by_term ON postings (term);
CREATE TABLE IF NOT EXISTS graphs (key TEXT PRIMARY KEY, links TEXT);
CREATE TABLE IF NOT EXISTS tokens (line TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID;
"""
# Raised when what the cache holds changes meaning; an older cache is deleted, not migrated.
# 1: file contents are masked before they are indexed (older caches may hold secrets).
# 2: signatures in full, class attributes and module constants, token counts of the map's lines.
CACHE_VERSION = 2
MAX_INDEXED_BYTES = 1_000_000  # larger files are listed by path only
SYMBOL_PREFIX = "@"  # postings of words in symbol names are kept apart from the content's


@dataclass(frozen=True)
class IndexedFile:
    path: str
    digest: str | None  # None: not a text file we index (binary, or too large)
    language: str | None
    path_words: int = 0  # how many words its path has (BM25F counts them in the file's length)
    in_map: bool = True  # False: a data, lock or media file, counted in the ranking's statistics only


class RepoIndex:
    def __init__(self, root: Path, cache_path: Path, *, count_tokens: bool = False) -> None:
        """``count_tokens``: count the map lines of what is indexed in o200k_base, for a map that will."""
        self.root = root
        self.count_tokens = count_tokens
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
        self.stats = {"files": 0, "read": 0, "parsed": 0, "counted": 0}

    def close(self) -> None:
        self.db.close()

    def refresh(self) -> list[IndexedFile]:
        """Bring the index up to date with the tree; return every file, indexed or listed.

        Data, lock, media and compiled files are not in the map (files.left_out_of_map): they are
        never read, and come back with ``in_map`` False, for the ranking's statistics alone (the
        number of files and their average length: the repository's, whatever the map shows). Other
        files are read only when their size or modification time changed.
        """
        known = {row[0]: row[1:] for row in self.db.execute("SELECT path, size, mtime, digest, words FROM files")}
        have_docs: set[str] | None = None  # read only if some file changed
        files: list[IndexedFile] = []
        new_paths: list[tuple[str, int, int, str, int]] = []
        pending: dict[str, tuple[str, bytes, str | None]] = {}  # digest -> what to index
        root = str(self.root)
        for path, size, mtime in listed_files(self.root):
            if left_out_of_map(path):
                files.append(IndexedFile(path, None, None, sum(word_counts(path).values()), in_map=False))
                continue
            language = LANGUAGES.get(os.path.splitext(path)[1].lower())
            previous = known.get(path)
            if previous and previous[0] == size and previous[1] == mtime:
                files.append(IndexedFile(path, previous[2] or None, language, previous[3]))
                continue
            digest = None
            if size <= MAX_INDEXED_BYTES:
                self.stats["read"] += 1
                try:
                    with open(os.path.join(root, path), "rb") as handle:
                        data = handle.read()
                except OSError:
                    continue
                if b"\0" not in data[:8192]:
                    digest = hashlib.sha1(data).hexdigest()
                    if have_docs is None:
                        have_docs = {row[0] for row in self.db.execute("SELECT digest FROM docs")}
                    if digest not in have_docs and digest not in pending:
                        pending[digest] = (path, data, language)
            path_words = sum(word_counts(path).values())
            new_paths.append((path, size, mtime, digest or "", path_words))
            files.append(IndexedFile(path, digest, language, path_words))
        if new_paths or pending:
            self.stats["parsed"] = len(pending)
            documents = _documents([(digest, *item) for digest, item in pending.items()])
            pending.clear()
            self._store(new_paths, documents)
            lines = _map_lines(new_paths, documents) if self.count_tokens else set()
            del documents  # their memory is the tokenizer's to reuse
            self._count_lines(lines)
        self.files = files
        self.stats["files"] = len(files)
        return files

    def _store(self, paths: list[tuple[str, int, int, str, int]], documents: list[Document]) -> None:
        first_build = self.db.execute("SELECT 1 FROM postings LIMIT 1").fetchone() is None
        with self.db:
            self.db.execute("BEGIN")
            if first_build:  # building the term index once, after the bulk insert, is much faster
                self.db.execute("DROP INDEX IF EXISTS postings_by_term")
            self.db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)", paths)
            self.db.executemany("INSERT OR IGNORE INTO docs VALUES (?, ?, ?, ?)", [row for row, _ in documents])
            self.db.executemany("INSERT INTO postings VALUES (?, ?, ?)", (p for _, ps in documents for p in ps))
            if first_build:
                self.db.execute("CREATE INDEX IF NOT EXISTS postings_by_term ON postings (term)")
        if first_build:  # fold the bulk insert into the database now, not on the next reader's time
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _count_lines(self, lines: set[str]) -> None:
        """Count, once, every line a map could show of what is new, so that maps need no tokenizer."""
        if not lines:
            return
        if self.db.execute("SELECT 1 FROM tokens WHERE line = ?", [maptext.more_line(1)]).fetchone() is None:
            lines.update(maptext.fixed_lines())
        known = self.cached_tokens(list(lines))
        missing = [line for line in lines if line not in known]
        if not missing:
            return
        from gearshift.context.tokens import counter_for

        counter = counter_for("gpt-5")
        if counter.exact:  # without the vocabulary, maps estimate: nothing worth keeping
            self.store_tokens({line: counter.count(line) for line in missing})
            self.stats["counted"] = len(missing)

    def cached_tokens(self, lines: list[str]) -> dict[str, int]:
        """The o200k_base tokens of those lines that were counted before."""
        found: dict[str, int] = {}
        for start in range(0, len(lines), 500):
            batch = lines[start : start + 500]
            marks = ",".join("?" for _ in batch)
            found.update(self.db.execute(f"SELECT line, n FROM tokens WHERE line IN ({marks})", batch))
        return found

    def store_tokens(self, counts: Mapping[str, int]) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO tokens VALUES (?, ?)", counts.items())

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

    def path_words(self, files: list[IndexedFile], terms: set[str]) -> dict[str, Counter[str]]:
        """The words of the paths that hold any of ``terms``: a term (a stem, lower case) is in a
        path's words only if it is in the lower-cased path, which is far quicker to ask first."""
        return {f.path: word_counts(f.path) for f in files if any(t in f.path.lower() for t in terms)}

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


def _map_lines(paths: list[tuple[str, int, int, str, int]], documents: list[Document]) -> set[str]:
    """The lines a map could show of new paths and documents: paths, their directories, symbols."""
    lines = {maptext.path_line(path) for path, *_ in paths}
    lines.update(maptext.directory_head(maptext.directory_of(path, depth)) for path, *_ in paths for depth in (1, 2))
    for row, _ in documents:
        lines.update(maptext.symbol_line(symbol) for symbol in json.loads(row[2]))
    return lines


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
            symbols = extract_symbols(path, data, assignments=True)
        except Exception:  # a grammar that cannot parse a file leaves it listed by path
            symbols = []
    if language:
        imports = imports_in(text, language)
    counts = word_counts(text) if language or _is_text_document(path) else Counter()
    postings = [(term, digest, tf) for term, tf in counts.items()]
    named = Counter(word for symbol in symbols if symbol.kind not in ASSIGNMENTS for word in words(symbol.name))
    postings.extend((SYMBOL_PREFIX + term, digest, tf) for term, tf in named.items())
    row = (digest, sum(counts.values()), json.dumps([s.to_json() for s in symbols]), json.dumps(imports))
    return row, postings


def _is_text_document(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in {".md", ".rst", ".txt", ".toml", ".yaml", ".yml", ".cfg", ".ini"}
