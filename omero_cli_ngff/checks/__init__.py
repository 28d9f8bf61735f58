"""Pure checks of published copies: each returns `Problem`s, none does I/O or talks to
OMERO; the caller reads the data (workflows.published_copy) and gives it here.

- annotation: keys, one per namespace, version, date, URL; outdated versions
- data: reachable, valid NGFF of the declared version, every level readable
- agreement: sizes, pixel type, physical sizes and channels as OMERO has them
- pixels: random tiles compared with OMERO's (through a tile source)
"""
