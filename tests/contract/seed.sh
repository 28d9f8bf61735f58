#!/usr/bin/env bash
# The contract suite's content on a real OMERO (the dev server reads contract.yaml).
# Run by the `seed` service of test_infra/docker-compose.yml, inside the omero-server
# image, after the users and groups exist. Not run where it was written (no container
# engine there): the commands are the stock omero CLI's.
#
#   ngff-contract (Project) / ngff-contract-dataset: ngff-contract-pyramid (3 levels,
#   Bio-Formats' fake reader), ngff-contract-flat (one level, z3 c2 uint16)
#   ngff-contract-screen (Screen) / ngff-contract-plate: 2 x 2 wells, 2 fields
# all owned by alice in public-lab, whose owner is olga.
set -euo pipefail
OMERO=${OMERO:-/opt/omero/server/venv3/bin/omero}
HOST=${OMERO_HOST:-omeroserver}
WORK=$(mktemp -d)
cd "$WORK"

"$OMERO" login -s "$HOST" -u root -w "${ROOTPASS:-omero}"
"$OMERO" user add olga Olga Owner --group-name public-lab -P olga-pw --ignore-existing
"$OMERO" group adduser --name public-lab olga --as-owner
"$OMERO" logout

"$OMERO" login -s "$HOST" -u alice -w alice-pw -g public-lab
if "$OMERO" hql --style plain "select p.id from Project p where p.name = 'ngff-contract'" \
        | grep -Eq '[0-9]'; then
    echo "contract content already there"
    exit 0
fi
PROJECT=$("$OMERO" obj new Project name=ngff-contract)
DATASET=$("$OMERO" obj new Dataset name=ngff-contract-dataset)
"$OMERO" obj new ProjectDatasetLink parent="$PROJECT" child="$DATASET"
SCREEN=$("$OMERO" obj new Screen name=ngff-contract-screen)

# Bio-Formats' fake reader makes images from the file name (the name before the first &)
touch "ngff-contract-pyramid&sizeX=2048&sizeY=1536&sizeC=3&pixelType=uint8&resolutions=3&resolutionScale=2.fake"
touch "ngff-contract-flat&sizeX=300&sizeY=200&sizeZ=3&sizeC=2&pixelType=uint16.fake"
touch "ngff-contract-plate&plates=1&plateRows=2&plateCols=2&fields=2&sizeX=64&sizeY=64.fake"
"$OMERO" import -d "${DATASET#Dataset:}" ngff-contract-pyramid*.fake ngff-contract-flat*.fake
"$OMERO" import -r "${SCREEN#Screen:}" ngff-contract-plate*.fake
"$OMERO" logout
echo "contract content seeded"
