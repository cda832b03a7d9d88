"""The build step behind ``make vendor-css``: NL Design System CSS from npm, copied into ``static/vendor/``.

The pages use the Utrecht component library (``@utrecht/component-library-css``, EUPL-1.2) and the
design tokens of the NL Design System "voorbeeld" theme (``@nl-design-system-unstable/voorbeeld-design-tokens``,
EUPL-1.2). ``make vendor-css`` installs both with npm into a scratch folder and runs this module, which
writes what the pages load, so a machine that runs or builds Samenloket needs no Node.js:

- ``vendor/utrecht-components.css``: only the components our templates use (:data:`COMPONENTS`), each
  package's own minified build, in this order;
- ``vendor/design-tokens.css``: the theme's tokens that those components and our stylesheet read,
  and every token those refer to (the whole ``--basis-*`` layer is kept, so our stylesheet and a
  region's theme can use any of it); the rest of the 200 kB theme is left out;
- ``vendor/LICENSE-*.md`` and ``vendor/VERSIONS``: the licences and the exact package versions.

No service imports this module; it runs only at build time:
``python -m services.kit.web.vendor NODE_MODULES [OUT]``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Final

#: The Utrecht components the templates use (package ``@utrecht/<name>-css``), in cascade order.
COMPONENTS: Final = (
    "document",
    "skip-link",
    "page-header",
    "page-footer",
    "heading-1",
    "heading-2",
    "heading-3",
    "heading-4",
    "paragraph",
    "link",
    "unordered-list",
    "ordered-list",
    "blockquote",
    "button",
    "form-fieldset",
    "form-field",
    "form-label",
    "form-field-description",
    "form-field-error-message",
    "textbox",
    "textarea",
    "select",
    "checkbox",
    "radio-button",
    "alert",
    "status-badge",
    "table",
)
LIBRARY: Final = "@utrecht/component-library-css"
TOKENS: Final = "@nl-design-system-unstable/voorbeeld-design-tokens"
THEME_CLASS: Final = "voorbeeld-theme"
#: Our own stylesheet: the tokens it reads are kept in the vendored theme too.
OWN_CSS: Final = Path(__file__).parent / "static" / "samenloket.css"

DECLARATION = re.compile(r"^\s*(--[A-Za-z0-9_-]+)\s*:\s*(.*?);\s*(?:/\*.*\*/)?\s*$")
USED = re.compile(r"var\(\s*(--[A-Za-z0-9_-]+)")


def version(package: Path) -> str:
    data = json.loads((package / "package.json").read_text(encoding="utf-8"))
    return str(data["version"])


def components(modules: Path) -> tuple[str, list[str]]:
    """The components' CSS, one block per package with its name and version; and those package lines."""
    parts: list[str] = []
    packages: list[str] = []
    for name in COMPONENTS:
        package = modules / "@utrecht" / f"{name}-css"
        css = (package / "dist" / "index.min.css").read_text(encoding="utf-8").strip()
        label = f"@utrecht/{name}-css@{version(package)}"
        packages.append(label)
        parts.append(f"/* {label} (EUPL-1.2) */\n{css}\n")
    return "".join(parts), packages


def tokens(theme_css: str) -> dict[str, str]:
    """The custom properties the theme's class declares, in the file's order."""
    found: dict[str, str] = {}
    for line in theme_css.splitlines():
        match = DECLARATION.match(line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def needed(declared: dict[str, str], *readers: str) -> list[str]:
    """The tokens ``readers`` read, the whole ``--basis-*`` layer, and all they refer to, in the theme's order."""
    wanted = {name for css in readers for name in USED.findall(css)}
    wanted |= {name for name in declared if name.startswith("--basis-")}
    todo = [name for name in wanted if name in declared]
    keep: set[str] = set()
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        todo.extend(ref for ref in USED.findall(declared[name]) if ref in declared and ref not in keep)
    return [name for name in declared if name in keep]


def build(modules: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    library = modules / "@utrecht" / "component-library-css"
    theme = modules / TOKENS
    component_css, packages = components(modules)
    header = (
        "/* NL Design System: Utrecht components, vendored by `make vendor-css` (services/kit/web/vendor.py).\n"
        f" * {LIBRARY}@{version(library)}, EUPL-1.2: see LICENSE-utrecht.md. Do not edit: refresh. */\n"
    )
    (out / "utrecht-components.css").write_text(header + component_css, encoding="utf-8")

    declared = tokens((theme / "dist" / "theme.css").read_text(encoding="utf-8"))
    keep = needed(declared, component_css, OWN_CSS.read_text(encoding="utf-8"))
    body = "".join(f"  {name}: {declared[name]};\n" for name in keep)
    (out / "design-tokens.css").write_text(
        "/* NL Design System design tokens: the tokens the vendored components and samenloket.css read.\n"
        f" * {TOKENS}@{version(theme)}, EUPL-1.2: see LICENSE-voorbeeld-design-tokens.md.\n"
        " * Vendored by `make vendor-css` (services/kit/web/vendor.py). Do not edit: refresh. */\n"
        f".{THEME_CLASS} {{\n{body}}}\n",
        encoding="utf-8",
    )
    (out / "LICENSE-utrecht.md").write_text((library / "LICENSE.md").read_text(encoding="utf-8"), encoding="utf-8")
    (out / "LICENSE-voorbeeld-design-tokens.md").write_text(
        (theme / "LICENSE.md").read_text(encoding="utf-8"), encoding="utf-8"
    )
    lines = [f"{LIBRARY}@{version(library)}", f"{TOKENS}@{version(theme)}", *packages]
    (out / "VERSIONS").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: python -m services.kit.web.vendor NODE_MODULES [OUT]", file=sys.stderr)
        return 2
    out = Path(argv[1]) if len(argv) == 2 else Path(__file__).parent / "static" / "vendor"
    build(Path(argv[0]), out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
