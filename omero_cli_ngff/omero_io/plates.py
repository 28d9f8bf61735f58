"""OMERO plates as plain layouts, for writing one NGFF plate per OMERO plate."""

from __future__ import annotations

from omero.rtypes import unwrap

from ..model.plate_layout import PlateLayout, WellLayout, axis_names
from . import queries
from .query import QueryRunner

# Well samples per call: a sample comes with its well, plate and acquisition (Ice
# sends an object met twice once), well under 2 KB; 2,000 of them stay far below the
# 64 MB Ice message limit of a real server (Ice.MessageSizeMax in its templates),
# whatever the plates (a 1536-well plate with 9 fields is 13,824 samples).
SAMPLES_PER_CALL = 2000


def plates_of_screens(runner: QueryRunner, screen_ids: list[int]) -> list[int]:
    return [row[0] for row in runner.rows(queries.SCREEN_PLATES, screen_ids)]


def plates_of_images(runner: QueryRunner, image_ids: list[int]) -> dict[int, int]:
    """Image id -> the plate it is a field of (images in no plate are left out)."""
    return {row[0]: row[1] for row in runner.rows(queries.PLATES_OF_IMAGES, image_ids)}


def load_layouts(runner: QueryRunner, plate_ids: list[int]) -> list[PlateLayout]:
    """Layouts of the plates, fields in OMERO's well-sample order, wells without images
    too, and each plate's screen: the well samples of 1,000 plates per query, in pages
    of SAMPLES_PER_CALL, then their wells and screens (one query each per 1,000)."""
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
    for plate_id, row, column in runner.rows(queries.WELL_POSITIONS, list(layouts)):
        layout = layouts[plate_id]
        if row >= len(layout.rows) or column >= len(layout.columns):
            continue
        name = (layout.rows[row], layout.columns[column])
        if all((w.row, w.column) != name for w in layout.wells):
            layout.wells.append(WellLayout(*name))
    for layout in layouts.values():
        rows, columns = layout.rows, layout.columns
        layout.wells.sort(key=lambda w: (rows.index(w.row), columns.index(w.column)))


def _sampled_layouts(runner: QueryRunner, plate_ids: list[int]) -> dict[int, PlateLayout]:
    """The layouts the well samples show (wells with images only)."""
    plates: dict[int, PlateLayout] = {}
    wells: dict[tuple, WellLayout] = {}
    cells: dict[int, list] = {}
    for sample in runner.objects(queries.PLATE_LAYOUT, plate_ids,
                                 page=SAMPLES_PER_CALL):
        well, plate = sample.getWell(), sample.getWell().getPlate()
        plate_id = plate.getId().getValue()
        if plate_id not in plates:
            plates[plate_id] = PlateLayout(plate_id, unwrap(plate.getName()) or str(plate_id),
                                           rows=[], columns=[])
            cells[plate_id] = [plate, 0, 0]
        row, column = unwrap(well.getRow()), unwrap(well.getColumn())
        cells[plate_id][1] = max(cells[plate_id][1], row + 1)
        cells[plate_id][2] = max(cells[plate_id][2], column + 1)
        acquisition = sample.getPlateAcquisition()
        acquisition_id = acquisition.getId().getValue() if acquisition is not None else None
        if acquisition is not None and acquisition.isLoaded() and acquisition_id not in [
                a["id"] for a in plates[plate_id].acquisitions]:
            name = unwrap(acquisition.getName())
            plates[plate_id].acquisitions.append(
                {"id": acquisition_id, **({"name": name} if name else {})})
        key = (plate_id, row, column)
        if key not in wells:
            wells[key] = WellLayout(row, column)   # names are set below
            plates[plate_id].wells.append(wells[key])
        wells[key].fields.append((sample.getImage().getId().getValue(), acquisition_id))

    for plate_id, layout in plates.items():
        plate, seen_rows, seen_columns = cells[plate_id]
        layout.rows = axis_names(max(unwrap(plate.getRows()) or 0, seen_rows),
                                 unwrap(plate.getRowNamingConvention()) or "letter")
        layout.columns = axis_names(max(unwrap(plate.getColumns()) or 0, seen_columns),
                                    unwrap(plate.getColumnNamingConvention()) or "number")
        for well in layout.wells:
            well.row, well.column = layout.rows[well.row], layout.columns[well.column]
    return plates
