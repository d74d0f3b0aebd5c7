"""The course website (make book, book/): its table of contents and its configuration. Nothing is built here; CI
builds the book with `make book` after the tests pass."""
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOT_CHAPTERS = {"console"}  # the Voila dashboard, served by `make console`, is not a page of the book


def _config() -> dict:
    return yaml.safe_load((BOOK / "_config.yml").read_text())


def _toc() -> dict:
    return yaml.safe_load((BOOK / "_toc.yml").read_text())


def _toc_files(toc: dict) -> list[str]:
    files = [toc["root"]]
    for entry in toc.get("chapters", []):
        files.append(entry["file"])
    for part in toc.get("parts", []):
        files.extend(entry["file"] for entry in part["chapters"])
    return files


def test_toc_lists_every_notebook_except_the_console_in_course_order():
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb") if p.stem not in NOT_CHAPTERS)
    chapters = [f for f in _toc_files(_toc()) if f.startswith("notebooks/") and f != "notebooks/glossary"]
    assert chapters == [f"notebooks/{name}" for name in notebooks]


def test_every_page_a_notebook_links_to_is_in_the_book():
    """A notebook's link to another page of notebooks/ ("[glossary](glossary.md)") works in the book only when
    that page is in the table of contents (only_build_toc_files)."""
    import json
    import re

    entries = set(_toc_files(_toc()))
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        if path.stem in NOT_CHAPTERS:
            continue
        text = "".join("".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
                       if c["cell_type"] == "markdown")
        for target in re.findall(r"\]\(([\w-]+)\.(?:md|ipynb)(?:#[^)]*)?\)", text):
            assert f"notebooks/{target}" in entries, (path.name, target)


def test_every_toc_entry_exists():
    for entry in _toc_files(_toc()):
        path = ROOT / entry
        found = [path.with_suffix(ext) for ext in (".ipynb", ".md") if path.with_suffix(ext).is_file()]
        assert found, f"book/_toc.yml lists {entry}, which is neither a notebook nor a page"


def test_the_console_is_not_a_page():
    assert not any(f.endswith("console") for f in _toc_files(_toc()))
    assert "notebooks/console.ipynb" in _config()["exclude_patterns"]


def test_the_book_never_executes_the_notebooks():
    # The pages show the outputs stored in the notebooks (checked by nbval in make test); a build runs no kernel.
    assert _config()["execute"]["execute_notebooks"] == "off"


def test_the_book_builds_only_its_pages_and_needs_no_network():
    config = _config()
    assert config["only_build_toc_files"] is True
    assert ".venv" in config["exclude_patterns"]
    assert not config["launch_buttons"].get("thebe")
    # No widget JavaScript from a CDN: the site reads offline.
    assert config["sphinx"]["config"]["nb_ipywidgets_js"] == {}


def test_the_build_output_is_ignored():
    assert "book/_build/" in (ROOT / ".gitignore").read_text().splitlines()
