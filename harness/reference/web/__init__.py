"""Static files of the reference web client (index.html, assets/). No Python code lives here; the file
exists so that `[tool.setuptools.package-data] "harness.reference.web"` ships them in a built wheel."""
