"""One module per OMERO service the dev server offers (IAdmin, IQuery, ...)."""
