"""Release operations (M33): release history, deploy, rollback to the last known good, kill switches.

All of them act on the service's serving plan (``ServingPlan``) from a given shift minute on; the caller
re-simulates afterwards. A rollback skips canary analysis on purpose (like Argo Rollouts' rollbackWindow): it
restores a release that already served this traffic.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from ..scenario_model import Release
from ..service.simulate import ServingPlan


@dataclass(frozen=True)
class OpResult:
    ok: bool
    detail: str


@dataclass
class ReleaseOps:
    """The release tooling. Fault scenarios: ``rollback_failures`` makes that many rollback attempts fail, and
    ``bad_index_builds`` that many index builds come out without documents (their validation fails)."""

    plan: ServingPlan
    rollback_failures: int = 0
    bad_index_builds: int = 0
    attempts: list[tuple[int, str, bool]] = field(default_factory=list)   # (minute, operation, ok)

    def serving(self, minute: int) -> str | None:
        """The release taking most traffic at ``minute``."""
        split = self.plan.serving_at(minute)
        return max(split, key=split.get) if split else None

    def history(self, until_minute: int) -> list[tuple[int, str]]:
        """(minute, version) of every change of the main serving release up to ``until_minute``."""
        out: list[tuple[int, str]] = []
        for minute, split in self.plan.changes:
            if minute <= until_minute and split:
                version = max(split, key=split.get)
                if not out or out[-1][1] != version:
                    out.append((minute, version))
        return out

    def last_known_good(self, minute: int) -> Release | None:
        """The release that served before the one serving at ``minute``."""
        hist = self.history(minute)
        return self.plan.releases[hist[-2][1]] if len(hist) >= 2 else None

    def deploy(self, minute: int, release: Release, weight: float = 1.0) -> OpResult:
        """Send ``weight`` of traffic to ``release`` from ``minute`` on (the rest to the release serving now)."""
        self.plan.releases.setdefault(release.version, release)
        current = self.serving(minute)
        split = {release.version: weight}
        if weight < 1 and current and current != release.version:
            split[current] = 1 - weight
        self.plan.changes.append((minute, split))
        self.plan.changes.sort(key=lambda c: c[0])
        self.attempts.append((minute, f"deploy {release.version} at {weight:.0%}", True))
        return OpResult(True, f"{release.version} takes {weight:.0%} of traffic")

    def split(self, minute: int, shares: list[tuple[Release, float]]) -> OpResult:
        """Several releases at once from ``minute`` on, each with its share (summing to 1), e.g. a canary beside a
        fresh baseline group and the long-running fleet."""
        for release, _ in shares:
            self.plan.releases.setdefault(release.version, release)
        self.plan.changes.append((minute, {r.version: w for r, w in shares if w > 0}))
        self.plan.changes.sort(key=lambda c: c[0])
        self.attempts.append((minute, "split " + ", ".join(f"{r.version} {w:.0%}" for r, w in shares if w > 0), True))
        return OpResult(True, "traffic split " + ", ".join(f"{r.version} {w:.0%}" for r, w in shares if w > 0))

    def rollback(self, minute: int) -> OpResult:
        """Roll back to the last known good release; fails while injected failures remain."""
        target = self.last_known_good(minute)
        if target is None:
            return OpResult(False, "no earlier release to roll back to")
        if self.rollback_failures > 0:
            self.rollback_failures -= 1
            self.attempts.append((minute, f"rollback to {target.version}", False))
            return OpResult(False, f"the rollback to {target.version} failed: its config was pruned from the "
                                   f"release store")
        self.plan.changes.append((minute, {target.version: 1.0}))
        self.plan.changes.sort(key=lambda c: c[0])
        self.attempts.append((minute, f"rollback to {target.version}", True))
        return OpResult(True, f"rolled back to {target.version}")

    def redeploy(self, minute: int, release: Release) -> OpResult:
        """Redeploy a release from its build artifact (the escalation's fallback: slow but does not need the
        release store)."""
        return self.deploy(minute, release)

    def reindex(self, minute: int, started_minute: int, start, validate) -> tuple[OpResult, str]:
        """Rebuild the retrieval index as a new, versioned index (built from ``started_minute``, ready at
        ``minute``), validate it with ``validate(built_at) -> (ok, detail)``, and only then swap the ``kb-live``
        alias to it in one step (atomic: every request from ``minute`` on reads the new version; the old version
        stays, so swapping back is one step too). Never rolls a release back. Returns (result, version)."""
        built_at = start + timedelta(minutes=started_minute)
        version = f"kb-{built_at:%Y%m%d-%H%M}"
        ok, detail = validate(built_at, broken=self.bad_index_builds > 0)
        if not ok:
            self.bad_index_builds = max(self.bad_index_builds - 1, 0)
            self.attempts.append((minute, f"reindex {version}", False))
            return OpResult(False, f"built {version}, but its validation failed ({detail}); the alias stays on the "
                                   f"old index"), version
        self.plan.index_builds.append(minute)     # requests read the new version from the swap on
        self.plan.index_builds.sort()
        self.attempts.append((minute, f"reindex {version}", True))
        return OpResult(True, f"built {version}, validated ({detail}), alias kb-live swapped to it"), version

    def set_flag(self, minute: int, flag: str, on: bool) -> OpResult:
        self.plan.flags.append((minute, flag, on))
        self.plan.flags.sort(key=lambda f: f[0])
        self.attempts.append((minute, f"flag {flag} {'on' if on else 'off'}", True))
        return OpResult(True, f"{flag} turned {'on' if on else 'off'}")
