"""Vector helpers over the alert frame shared by the correlator's steps and the dispatcher model (M32)."""
from __future__ import annotations

import numpy as np
import pandas as pd

_STD_COLUMNS = ("alertname", "service", "component", "severity")


def _ns(series: pd.Series) -> np.ndarray:
    """UTC timestamps -> int64 nanoseconds since the epoch (NaT -> int64 min)."""
    s = pd.to_datetime(series, utc=True) if not isinstance(series.dtype, pd.DatetimeTZDtype) else series
    return s.astype("datetime64[ns, UTC]").array.asi8


def _first_per(keys: np.ndarray, order: np.ndarray, n_keys: int) -> np.ndarray:
    """For each key 0..n_keys-1, the first row of ``order`` (a list of row positions) holding it (-1 when none)."""
    rank = np.full(n_keys, len(order), dtype=np.int64)
    np.minimum.at(rank, keys[order], np.arange(len(order), dtype=np.int64))
    out = np.full(n_keys, -1, dtype=np.int64)
    found = rank < len(order)
    out[found] = order[rank[found]]
    return out


class _Labels:
    """Label values of the frame's rows, factorized once per label name (a missing label is "").

    The four label columns of the alert frame are factorized over all rows on first use (one hash pass);
    any other label is read from the ``labels`` dicts, and only for the rows asked about.
    """

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.columns: dict = {}

    def codes(self, name: str, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(codes at ``rows``, distinct values as str) for label ``name``."""
        if name in _STD_COLUMNS and name in self.frame.columns:
            if name not in self.columns:
                values = self.frame[name].to_numpy(dtype=object)
                # The sentinel path skips the missing-value pass over every row; only a column that holds
                # missing values (never one parse_payloads made) pays for numbering them in order.
                codes, uniques = pd.factorize(values)
                if len(codes) and codes.min() < 0:
                    codes, uniques = pd.factorize(values, use_na_sentinel=False)
                self.columns[name] = (codes, np.array(["" if pd.isna(u) else str(u) for u in uniques], dtype=object))
            codes, uniques = self.columns[name]
            return codes[rows], uniques
        labels = self.frame["labels"].to_numpy(dtype=object)[rows]
        codes, uniques = pd.factorize(np.array([lab.get(name, "") for lab in labels], dtype=object))
        return codes, np.asarray(uniques, dtype=object).astype(str).astype(object)

    def values(self, name: str, rows: np.ndarray) -> np.ndarray:
        codes, uniques = self.codes(name, rows)
        return uniques[codes] if len(uniques) else np.full(len(rows), "", dtype=object)


def _match_all(matchers, labels: _Labels, rows: np.ndarray) -> np.ndarray:
    """Mask over ``rows``: rows satisfying every matcher; each matcher tests the distinct values only and
    only the rows still in the running, so labels outside the frame's columns are read for few rows."""
    mask = np.ones(len(rows), dtype=bool)
    for m in matchers:
        idx = np.flatnonzero(mask)
        if len(idx) == 0:
            break
        codes, uniques = labels.codes(m.name, rows[idx])
        hit = np.array([m.test(u) for u in uniques], dtype=bool)
        mask[idx] = hit[codes] if len(uniques) else False
    return mask


def _combine_codes(columns: list[np.ndarray], n: int) -> np.ndarray:
    """Row-wise tuple of codes -> one int code per distinct tuple (0..k-1)."""
    code = np.zeros(n, dtype=np.int64)
    for col in columns:
        c = pd.factorize(col)[0] if col.dtype == object else col.astype(np.int64)
        code = pd.factorize(code * (int(c.max()) + 2 if len(c) else 1) + c)[0].astype(np.int64)
    return code
