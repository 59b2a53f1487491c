#!/usr/bin/env python3
"""Issue 11's honest measure: merge the research TSVs, drop duplicate names, and hold a third
back, chosen by a hash of each name (so a name stays on its side as the research grows). curation.tsv is what the rules are built from; holdout.tsv is only ever measured
(by count) with `dotnet run -c Release --project tests/MiSinkhole.Benchmarks -- recall
tests/data/xiaomi-research/holdout.tsv strict` and never looked at name by name until the end.

Usage: split.py OUT_DIR IN.tsv [IN.tsv ...]   (OUT_DIR's own curation.tsv and holdout.tsv may be inputs)
"""
import csv, hashlib, sys

HEADER = ["name", "scope", "category", "needed", "what_it_does", "evidence_kind", "reference", "notes"]
SALT = b"misinkhole-20261201:"

def main(out_dir, inputs):
    rows = {}
    for path in inputs:
        with open(path, newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                name = (row.get("name") or "").strip().lower().rstrip(".")
                if not name or name.startswith("#"):
                    continue
                row["name"] = name
                # the first source of a name stays; later ones add their reference to its notes
                if name in rows:
                    rows[name]["notes"] = (rows[name].get("notes") or "") + f" also: {row.get('reference', '')} ({row.get('what_it_does', '')})"
                    if (row.get("needed") or "").strip() == "yes":
                        rows[name]["needed"] = "yes"  # any report that blocking it breaks something wins
                else:
                    rows[name] = {k: (row.get(k) or "").replace("\t", " ").strip() for k in HEADER}
    names = sorted(rows)
    held = [n for n in names if hashlib.sha256(SALT + n.encode()).digest()[0] % 3 == 0]
    kept = [n for n in names if n not in set(held)]
    for file, subset in (("holdout.tsv", held), ("curation.tsv", kept)):
        with open(f"{out_dir}/{file}", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=HEADER, delimiter="\t", lineterminator="\n")
            w.writeheader()
            for n in subset:
                w.writerow(rows[n])
    print(f"{len(names)} names: {len(kept)} to curate from, {len(held)} held back (by hash)")

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
