"""toolbx image requirements: the table, the static Containerfile lint and the image checks."""
