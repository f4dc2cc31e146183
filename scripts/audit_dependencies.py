"""Audit the installed Python packages for known vulnerabilities (pip-audit), for CI.

Fails (exit 1) when a package has a known vulnerability. When the vulnerability service
cannot be reached, pip-audit audits nothing (every package "not found", or a connection
error): that is said plainly, as a limit of the machine, and does not fail the build, since
it says nothing about the code. Pass --strict to fail then too.

    .venv/bin/python scripts/audit_dependencies.py [--strict]
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


def main() -> int:
    strict = "--strict" in sys.argv
    try:
        result = subprocess.run(  # noqa: S603 - our own virtualenv's pip-audit, fixed arguments
            [str(PIP_AUDIT), "--format", "json", "--progress-spinner", "off",
             "--skip-editable"], capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        print("pip-audit: no answer from the vulnerability service in 5 minutes; NOTHING WAS "
              "AUDITED on this machine.")
        return 1 if strict else 0
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"pip-audit: the vulnerability service could not be reached ({reason}); "
              "NOTHING WAS AUDITED on this machine.")
        return 1 if strict else 0
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    audited = [d for d in dependencies if "skip_reason" not in d]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"pip-audit: {dependency['name']} {dependency['version']}: {vuln['id']} "
                  f"(fixed in {fixed})")
    if vulnerable:
        return 1
    if not audited:
        print(f"pip-audit: the vulnerability service answered for none of the "
              f"{len(dependencies)} packages (not reachable from this machine); NOTHING WAS "
              "AUDITED. Run it where the service is reachable.")
        return 1 if strict else 0
    print(f"pip-audit: {len(audited)} packages audited, no known vulnerability "
          f"({len(dependencies) - len(audited)} skipped).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
