#!/usr/bin/env python3
"""Prints what the browser downloads in wasm for each page of a built site.

With `cargo leptos build --split`, `gatehouse.wasm` holds the shell and the
entry pages, and each lazy route is a chunk of its own (plus chunks shared by
several routes). `__wasm_split_manifest.json` names, for each split point,
the files it needs; a page costs the main bundle plus those files. Sizes are
raw and gzipped at level 9, as a server or CDN would send them.

    bench/wasm_size.py [PKG_DIR]     default: target/site/pkg

Prints a Markdown table; the exit status does not depend on the figures.
"""

import gzip
import json
import re
import sys
from pathlib import Path

BUDGET_GZIP_BYTES = 350_000  # issue 5: "the release wasm, gzipped, under 350 KB"


def sizes(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    return len(data), len(gzip.compress(data, compresslevel=9, mtime=0))


def page_name(split: str) -> str:
    """`__account_route_view_<hash>` → `account`: the lazy route (`AccountRoute`
    in app/src/root.rs) a split point is for."""
    match = re.fullmatch(r"_*(\w+?)_route_view_\d+", split)
    return match.group(1) if match else split


def main() -> int:
    pkg = Path(sys.argv[1] if len(sys.argv) > 1 else "target/site/pkg")
    main_wasm = next(
        (p for p in sorted(pkg.glob("gatehouse*.wasm")) if "_split" not in p.name), None
    )
    if main_wasm is None:
        print(f"no gatehouse*.wasm in {pkg}: build first", file=sys.stderr)
        return 1
    main_raw, main_gz = sizes(main_wasm)
    manifest_path = next(iter(sorted(pkg.glob("__wasm_split_manifest*.json"))), None)
    manifest = json.loads(manifest_path.read_text()) if manifest_path else {}

    chunk_sizes = {p.stem: sizes(p) for p in pkg.glob("*.wasm") if p != main_wasm}
    # `split_<name>` is one split point's own code; `chunk_<n>` is code that
    # several split points share.
    shared = [name for name in chunk_sizes if name.startswith("chunk_")]

    print("| what | wasm | gzipped |")
    print("|---|---|---|")
    print(f"| main bundle `{main_wasm.name}` (the shell and every page not in `lazy_page!`) | {main_raw:,} | {main_gz:,} |")
    if not manifest:
        print()
        print("No split manifest: the site was built without `--split`, so every page is in the main bundle.")
        worst = main_gz
    else:
        pages = []
        for split, files in manifest.items():
            raw = sum(chunk_sizes.get(f, (0, 0))[0] for f in files)
            gz = sum(chunk_sizes.get(f, (0, 0))[1] for f in files)
            pages.append((page_name(split), raw, gz, len(files)))
        pages.sort(key=lambda p: -p[2])
        for name, raw, gz, count in pages:
            print(f"| + {name} ({count} file{'s' if count != 1 else ''}) | {raw:,} | {gz:,} |")
        shared_gz = sum(chunk_sizes[name][1] for name in shared)
        print()
        print(f"Chunk files: {len(chunk_sizes)}; shared between routes: {len(shared)}, {shared_gz:,} bytes gzipped.")
        worst = main_gz + (pages[0][2] if pages else 0)
        if pages:
            print(f"Heaviest page: main bundle + {pages[0][0]} = {worst:,} bytes gzipped.")
    verdict = "within" if worst < BUDGET_GZIP_BYTES else "OVER"
    print(f"Budget: {BUDGET_GZIP_BYTES:,} bytes gzipped for any one page: {verdict}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
