"""Build hook: compiles the gettext catalogs (``locale/*/LC_MESSAGES/*.po``) to ``.mo`` with
Babel, so the wheel and an editable install carry them; Babel is needed only to build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOTS = ("src/livelab", "plugins")


def compile_catalogs(root: Path) -> list[Path]:
    """Compile every catalog under ``root``'s package folders; return the ``.mo`` files."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for base in ROOTS:
        for po in sorted((root / base).glob("**/locale/*/LC_MESSAGES/*.po")):
            with po.open("rb") as f:
                catalog = read_po(f, locale=po.parent.parent.name, domain=po.stem)
            mo = po.with_suffix(".mo")
            with mo.open("wb") as f:
                write_mo(f, catalog, use_fuzzy=False)
            written.append(mo)
    return written


def add_cli_help(pot: Path) -> None:
    """Add the command line's help texts (click options and docstrings, which gettext's
    extractors cannot see) to the template ``pot`` (`make catalogs`)."""
    from babel.messages.pofile import read_po, write_po

    from livelab.cli import help_texts

    with pot.open("rb") as f:
        catalog = read_po(f)
    for text in help_texts():
        catalog.add(text, auto_comments=["command-line help"])
    with pot.open("wb") as f:
        write_po(f, catalog, width=100, no_location=True, omit_header=True, sort_output=True)


if __name__ == "__main__":  # `make messages` and `make catalogs`, without hatchling
    import sys

    if sys.argv[1:2] == ["--add-cli-help"]:
        add_cli_help(Path(sys.argv[2]))
    else:
        for path in compile_catalogs(Path(__file__).parent):
            print(path)
    raise SystemExit(0)

from hatchling.builders.hooks.plugin.interface import BuildHookInterface  # noqa: E402


class CatalogBuildHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        compile_catalogs(Path(self.root))
