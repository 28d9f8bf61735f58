"""OMERO plates as plain layouts, for writing one NGFF plate per OMERO plate."""

from __future__ import annotations

from ..model.plate_layout import PlateLayout, WellLayout, axis_names
from . import queries
from .query import QueryRunner

# Well samples per call: a row of six scalars (the acquisition's name the longest);
# 5,000 of them stay far below the 64 MB Ice message limit of a real server
# (Ice.MessageSizeMax in its templates), whatever the plates (a 1536-well plate with 9
# fields is 13,824 samples).
SAMPLES_PER_CALL = 5000


def plates_of_screens(runner: QueryRunner, screen_ids: list[int]) -> list[int]:
    return [row[0] for row in runner.rows(queries.SCREEN_PLATES, screen_ids)]


def plates_of_images(runner: QueryRunner, image_ids: list[int]) -> dict[int, int]:
    """Image id -> the plate it is a field of (images in no plate are left out)."""
    return {row[0]: row[1] for row in runner.rows(queries.PLATES_OF_IMAGES, image_ids)}


def load_layouts(runner: QueryRunner, plate_ids: list[int]) -> list[PlateLayout]:
    """Layouts of the plates, fields in OMERO's well-sample order, wells without images
    too, and each plate's screen: per 1,000 plates, their details, their well samples
    (in pages of SAMPLES_PER_CALL), their wells and their screens."""
    layouts = _sampled_layouts(runner, plate_ids)
    _add_empty_wells(runner, layouts)
    for plate_id, screen_id in runner.rows(queries.PLATE_SCREENS, list(layouts)):
        if layouts[plate_id].screen_id is None:
            layouts[plate_id].screen_id = screen_id
    return [layouts[i] for i in plate_ids if i in layouts]


def _add_empty_wells(runner: QueryRunner, layouts: dict[int, PlateLayout]) -> None:
    """The wells OMERO has without images, in row-major order among the others."""
    if not layouts:
        return
    present = {(plate_id, w.row, w.column) for plate_id, layout in layouts.items()
               for w in layout.wells}
    for plate_id, row, column in runner.rows(queries.WELL_POSITIONS, list(layouts)):
        layout = layouts[plate_id]
        if row >= len(layout.rows) or column >= len(layout.columns):
            continue
        name = (layout.rows[row], layout.columns[column])
        if (plate_id, *name) not in present:
            present.add((plate_id, *name))
            layout.wells.append(WellLayout(*name))
    for layout in layouts.values():
        row_at = {name: i for i, name in enumerate(layout.rows)}
        column_at = {name: i for i, name in enumerate(layout.columns)}
        layout.wells.sort(key=lambda w: (row_at[w.row], column_at[w.column]))


def _sampled_layouts(runner: QueryRunner, plate_ids: list[int]) -> dict[int, PlateLayout]:
    """The layouts the well samples show (wells with images only; plates without any
    image are left out), from projections: the plates, then their samples."""
    details = {row[0]: row for row in runner.rows(queries.PLATE_DETAILS, plate_ids)}
    plates: dict[int, PlateLayout] = {}
    wells: dict[tuple, WellLayout] = {}
    sizes: dict[int, list[int]] = {}
    acquired: dict[int, set] = {}
    for plate_id, image_id, row, column, acq_id, acq_name in runner.rows(
            queries.PLATE_SAMPLES, list(details), page=SAMPLES_PER_CALL):
        if plate_id not in plates:
            plates[plate_id] = PlateLayout(plate_id, details[plate_id][1] or str(plate_id),
                                           rows=[], columns=[])
            sizes[plate_id], acquired[plate_id] = [0, 0], set()
        sizes[plate_id][0] = max(sizes[plate_id][0], row + 1)
        sizes[plate_id][1] = max(sizes[plate_id][1], column + 1)
        if acq_id is not None and acq_id not in acquired[plate_id]:
            acquired[plate_id].add(acq_id)
            plates[plate_id].acquisitions.append(
                {"id": acq_id, **({"name": acq_name} if acq_name else {})})
        key = (plate_id, row, column)
        if key not in wells:
            wells[key] = WellLayout(row, column)   # names are set below
            plates[plate_id].wells.append(wells[key])
        wells[key].fields.append((image_id, acq_id))
    for plate_id, layout in plates.items():
        _, _, rows, columns, row_naming, column_naming = details[plate_id]
        layout.rows = axis_names(max(rows or 0, sizes[plate_id][0]), row_naming or "letter")
        layout.columns = axis_names(max(columns or 0, sizes[plate_id][1]),
                                    column_naming or "number")
        for well in layout.wells:
            well.row, well.column = layout.rows[well.row], layout.columns[well.column]
    return plates
