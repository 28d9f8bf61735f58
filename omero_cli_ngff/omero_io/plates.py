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


def load_layouts(runner: QueryRunner, plate_ids: list[int]) -> list[PlateLayout]:
    """Layouts of the plates, fields in OMERO's well-sample order: the well samples of
    1,000 plates per query, in pages of SAMPLES_PER_CALL."""
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
    return [plates[i] for i in plate_ids if i in plates]
