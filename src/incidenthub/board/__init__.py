"""The live dispatch board at `/board`: a page, its styles and its ES modules, served from this package."""
