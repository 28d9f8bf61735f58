"""Every query the plugin sends has a pedigree (issue #12, point 8): OMERO or omero-py
code that sends the same HQL forms (omero_io/query_pedigree.py)."""

import pytest

from omero_cli_ngff.omero_io import queries
from omero_cli_ngff.omero_io.query_pedigree import PEDIGREE, constructs

QUERIES = queries.named_queries()


def test_every_query_has_an_entry_and_every_entry_a_query():
    assert sorted(set(QUERIES) - set(PEDIGREE)) == [], "queries without a pedigree"
    assert sorted(set(PEDIGREE) - set(QUERIES)) == [], "pedigree of unknown queries"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_form_of_a_query_is_used_by_a_cited_source(name):
    covered = set().union(*(constructs(source.hql) for source in PEDIGREE[name]))
    assert constructs(QUERIES[name]) - covered == set(), QUERIES[name]
    for source in PEDIGREE[name]:
        assert source.repo.startswith("ome/") and source.path and source.where


@pytest.mark.parametrize("hql, form", [
    # the forms issue #12 found in earlier versions of queries.py
    ("select a.id, index(mv), mv.name from MapAnnotation a join a.mapValue mv", "index()"),
    ("select distinct dl.child.id from DatasetImageLink dl, ProjectDatasetLink pl"
     " where pl.child.id = dl.parent.id", "theta join"),
    ("select fe.fileset.id, fe.originalFile.path from FilesetEntry fe", "implicit join"),
    ("select ws from WellSample ws join fetch ws.well w left outer join fetch"
     " ws.plateAcquisition where w.plate.id in (:ids)", "left outer join fetch"),
])
def test_constructs_tell_forms_apart(hql, form):
    assert form in constructs(hql)


def test_old_forms_would_fail_their_pedigree():
    """The index() over MapAnnotation.mapValue (a value collection no OMERO code
    indexes) is covered by none of the sources of the annotation queries."""
    old = ("select l.parent.id, a.id, mv.name, mv.value from ImageAnnotationLink l"
           " join l.child a left outer join a.mapValue mv where a.ns = :ns"
           " and l.parent.id in (:ids) order by l.id, index(mv)")
    covered = set().union(*(constructs(s.hql) for s in PEDIGREE["ANNOTATION_VALUES"]))
    assert constructs(old) - covered == {"index()"}


def test_no_query_indexes_map_values():
    assert not [name for name, hql in QUERIES.items() if "index(mv" in hql.replace(" ", "")]


def test_gaps_name_known_queries():
    from omero_cli_ngff.omero_io.query_pedigree import GAPS
    assert set(GAPS) <= set(QUERIES)
