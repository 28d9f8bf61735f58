"""An OMERO dev server: a real Ice server on omero-py's own Slice classes.

The unmodified omero-py client, BlitzGateway and the ``omero`` CLI talk to it over
TCP (and SSL) on 127.0.0.1 exactly as to a real OMERO. Its content is a catalogue
read from a YAML spec (``test_infra/catalogues/*.yaml``, format in ``catalogue.py``);
pixels are generated (``pixels.py``: ``expected_tile`` gives tests the values).

Run it::

    python -m test_infra.omero_devserver --port 4064 \\
        --catalogue test_infra/catalogues/demo.yaml --state-dir /tmp/omero-dev \\
        [--ssl-port 4065] [--read-only] [--server-cores 4 --tile-call-ms 5 \\
        --tile-ms-per-mpx 40] [--delete-ms 100] \\
        [--lenient resolution-levels] [-v]

Log in (users and passwords are in the catalogue; demo: root/omero, alice/alice-pw,
bob/bob-pw, carol/carol-pw)::

    omero login -s tcp://127.0.0.1 -p 4064 -u alice -w alice-pw   # plain TCP
    omero login -s 127.0.0.1 -p 4065 -u alice -w alice-pw          # SSL (--ssl-port)

With a plain host, omero-py connects with SSL, then switches to the TCP router that
IConfig ``omero.router.insecure`` names, as with a real server.

State directory: ``state.json`` (annotations and links written by clients; survives a
restart), ``server.log`` (one line per call, no passwords or session keys),
``queries.log`` (one JSON line per query: kind, normalised HQL, parameter names, ids,
user), ``server.json`` (pid and the ports actually bound; ``--port 0`` picks a free
one), ``tls/`` (the self-signed certificate).

Counting queries: the IConfig value ``omero.devserver.query_count`` is the number of
queries answered since start (``omero.devserver.tile_count`` the tiles read); or
count the lines of ``queries.log``. The fixture's ``query_count()`` reads the file.

Fidelity: the server behaves as OMERO 5.6 where its sources say how (each module
names the source it follows). Where that strictness still breaks the plugin, the
behaviour is lenient by default and ``--strict NAME`` turns it on; ``--lenient NAME``
turns a strict one off (``fidelity.py``
lists them, with the plugin tests that fail).

Modules: ``ice`` (servant plumbing), ``catalogue`` (YAML spec -> records), ``shapes``
(ROIs, shapes, mask bits in the catalogue), ``annotation_specs`` (annotation types in
the catalogue), ``pixels`` (generator), ``pixel_buffers`` (which buffer OMERO reads an
image through: levels, tiles), ``security`` (permissions), ``sessions``, ``sudo`` (sudo
and group-sudo sessions), ``model`` and ``roi_model`` (records -> omero model objects,
unloaded collections), ``hql`` (the query table) with ``hql_children``, ``hql_rois``,
``hql_annotations`` and ``hql_plugin_extra`` (more patterns, registered into it),
``store`` and ``writes`` (annotations, persisted), ``delete_requests`` (Delete2), ``preferences`` (who may read
which config key), ``fidelity`` (strict/lenient switches), ``services/*`` (one per
OMERO service), ``router`` (Glacier2), ``tls``, ``logs``, ``server`` and ``__main__``.

Only ``catalogue``, ``shapes``, ``annotation_specs``, ``pixels`` and ``decode_cost``
(the decode slots and cost of a read) may be imported by test processes; everything
else runs in the server process (it must import Ice its own way first).
"""
