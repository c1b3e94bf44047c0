"""Edit blocks: parse them from a model's reply, check them all, apply all or nothing.

    path/to/file.py
    <<<<<<< SEARCH
    lines as they are now
    =======
    lines as they should be
    >>>>>>> REPLACE

An empty SEARCH creates a file. A block is applied exactly or refused: matching is exact first,
then tolerant of whitespace at line ends, then of indentation (new lines are shifted by the
difference, line by line), and SEARCH may elide lines with ``...``; a slip of a character in a
context line is forgiven when exactly one place fits, and the file's own line is kept. Line
endings, encoding and byte-order mark stay as the file has them. Paths are confined to the
repository and kept out of git's and gearshift's own files, ignored files and untracked secrets.

parse.py     the reply -> EditBlock         locate.py   where SEARCH is (pure)
rewrite.py   what the lines become (pure)   match.py    the order of attempts
textfile.py  bytes <-> lines, losslessly    confine.py  which paths may be written
apply.py     check everything, then write   messages.py bounded refusals for the model
"""

from gearshift.edits.apply import FileChange, apply_edit_blocks, edit_bytes, plan_edits, write_changes
from gearshift.edits.confine import confined_path
from gearshift.edits.parse import DIVIDER, REPLACE, SEARCH, EditBlock, parse_edit_blocks

__all__ = [
    "DIVIDER",
    "REPLACE",
    "SEARCH",
    "EditBlock",
    "FileChange",
    "apply_edit_blocks",
    "confined_path",
    "edit_bytes",
    "parse_edit_blocks",
    "plan_edits",
    "write_changes",
]
