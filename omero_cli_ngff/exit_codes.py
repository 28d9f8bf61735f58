"""The one table of exit codes shared by every `omero ngff` command (see the README)."""

OK = 0
INTERNAL = 1         # a bug: one line; OMERO_NGFF_DEBUG=1 shows the traceback
USAGE = 2            # bad arguments (objects, ids, destinations), before any login
CONNECTION = 3       # cannot log in, server unreachable, connection or session lost
NOT_FOUND = 4        # object unknown or not readable by this user, image without pixels
DESTINATION = 5      # destination unusable, object-store errors after retries, target exists
                     # or not ours (ownership)
PARTIAL_FAILURE = 6  # some images failed; the others were done
UNSOUND = 7          # verify found problems in published copies
PERMISSION = 8       # the user may not annotate or publish this (private group, read-only)
REMOTE = 9           # the remote batch engine refused or failed
CLAIMED = 10         # every image was skipped: other live runs are publishing them
INTERRUPTED = 130    # Ctrl-C; a rerun resumes

TABLE = [
    (OK, "success: everything asked was done (verify: no copy is unsound; warnings "
         "alone are a success)"),
    (INTERNAL, "unexpected error (a bug); OMERO_NGFF_DEBUG=1 shows the traceback, "
               "--log-file keeps it"),
    (USAGE, "bad arguments, found before any login: malformed object or id (a bare number, "
            "an id above 2^63-1), unknown type, malformed destination or public URL, "
            "bad option"),
    (CONNECTION, "cannot connect or log in to OMERO, or the connection or the session was "
                 "lost at any point (reading objects or tiles, writing annotations)"),
    (NOT_FOUND, "an object does not exist or is not readable; an image has no pixels"),
    (DESTINATION, "destination unreachable, read-only or missing, credentials missing, "
                  "object-store errors that outlasted the retries, an existing different "
                  "target without --overwrite, or a target that is not the image's (another "
                  "object's copy, data without an ownership record)"),
    (PARTIAL_FAILURE, "some images failed, or were skipped because another run is "
                      "publishing them (the summary names them); the others were done"),
    (UNSOUND, "verify found at least one unsound copy (a problem of severity error)"),
    (PERMISSION, "not allowed: private group without --allow-private, read-only server, "
                 "or no permission to annotate"),
    (REMOTE, "the remote batch engine refused a job or a job failed"),
    (CLAIMED, "every image was skipped because other runs that are alive are publishing "
              "them (their claims); run again later. Some images skipped so: 6"),
    (INTERRUPTED, "interrupted (Ctrl-C); run the same command again to resume"),
]

# Names under which `omero errors` lists the codes (BaseControl.add_error).
NAMES = {OK: "NGFF_OK", INTERNAL: "NGFF_INTERNAL", USAGE: "NGFF_USAGE",
         CONNECTION: "NGFF_CONNECTION", NOT_FOUND: "NGFF_NOT_FOUND",
         DESTINATION: "NGFF_DESTINATION", PARTIAL_FAILURE: "NGFF_PARTIAL_FAILURE",
         UNSOUND: "NGFF_UNSOUND", PERMISSION: "NGFF_PERMISSION", REMOTE: "NGFF_REMOTE",
         CLAIMED: "NGFF_CLAIMED", INTERRUPTED: "NGFF_INTERRUPTED"}
