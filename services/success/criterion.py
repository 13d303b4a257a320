"""One success criterion: a number, how it is computed, and the rows behind it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Criterion:
    key: str                 # "1-seed", "1-demand", "2" ... "6"
    number: int              # the seed's Success Criteria, in order
    title: str               # the seed's wording
    measure: str             # how the number is computed, in one sentence
    numerator: int
    denominator: int
    as_share: bool           # shown as a percentage (else "x / n")
    rows: pd.DataFrame = field(repr=False)
    note: str = ""           # caveats and differences worth reading next to the number
    caveat: bool = False     # the note says the number overstates progress: never shown as met

    @property
    def share(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def met(self) -> bool:
        return self.denominator > 0 and self.numerator >= self.denominator and not self.caveat

    @property
    def value(self) -> str:
        if self.as_share:
            return f"{self.share:.0%}" if self.share is not None else "n/a"
        return f"{self.numerator} / {self.denominator}"

    @property
    def detail(self) -> str:
        if self.as_share:
            return f"{self.numerator} of {self.denominator}" if self.denominator else "nothing to measure yet"
        return f"{self.share:.0%}" if self.share is not None else ""
