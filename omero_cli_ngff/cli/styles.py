"""The output styles `--style` accepts, in one place (argparse's choices, the help and
the renderer all read this table): adding a style is one line here plus its
`Output._render_<style>` method in cli.output (tests/cli/test_styles.py checks both).

omero-py's names keep omero-py's meanings (omero/util/text.py, `omero hql --style`):
``sql`` a padded table with ``|`` separators and a ``(N rows)`` line, ``csv`` a header
then comma-separated rows, ``plain`` the same rows without the header, ``json`` one
document. ``table`` is this tool's own default, for people: a drawn table.
"""

from __future__ import annotations

DEFAULT_STYLE = "table"
# style -> what it is (the order is that of --help)
STYLES = {
    "table": "a table for people (default)",
    "sql": "padded columns separated by |, as `omero hql`",
    "csv": "a header line, then comma-separated rows",
    "plain": "comma-separated rows without a header (omero-py's plain)",
    "json": "one document: {\"summary\": {...}, \"images\": [...]}",
}
# A style of locate's only: the public index's page of the images, entries inline
# (commands.locate writes it; no table is drawn).
PAGE_STYLES = {"html": "the index page of the images, a static page (locate only)"}
# Styles for scripts: no progress, no colours, every value whole.
FOR_PEOPLE = ("table",)
