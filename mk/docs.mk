# The documentation site: docs/*.md built by Sphinx with MyST Markdown, every warning an error (a broken
# link, a page missing from the table of contents, a literalinclude marker missing from its example DAG).
DOCS_OUT := .docs-build/html

.PHONY: docs
docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs $(DOCS_OUT)
