"""Plant the 14 schemes of DOMAIN.md, their harmless look-alikes and honest noise.

Each ``plant_<scheme>`` edits the county in place and records one truth row per instance
with the entities a correct lead must name. Amounts, months and sizes vary with the seed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from riskmodel.synth import ledger as ledger_module
from riskmodel.synth import projects as projects_module
from riskmodel.synth.identity import make_account_numbers, make_id_numbers, swap_adjacent_digits
from riskmodel.synth.names import given_names, surname_table
from riskmodel.synth.officials import household_kin
from riskmodel.synth.payments import PROGRAM_INDEX, PROGRAMS

if TYPE_CHECKING:
    from riskmodel.synth.county import County

STANDARD = {p[0]: p[3] for p in PROGRAMS}
MONTHLY = ("MZ01", "MZ02", "CL01", "CL02", "MZ03", "MZ04")
SKIM_WEIGHTS = {"MZ01": 0.55, "MZ02": 0.15, "MZ03": 0.12, "CL01": 0.09, "CL02": 0.09}


class Planter:
    """Shared state while planting: which people and villages are already used."""

    def __init__(self, county: County) -> None:
        self.county = county
        self.rng = county.rng
        self.used: set[int] = set()
        self._cycle: dict[str, list[int]] = {}
        self.skimmed: set[tuple[int, str]] = set()
        self.invented: set[int] = set()
        self._recipients: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = {}
        payments = county.payments
        # baseline rows keep their order while schemes edit values: cache per-row arrays
        self.month = pd.DatetimeIndex(payments["pay_date"]).month.to_numpy()
        self.person_of_row = payments["person"].to_numpy()
        self.village_of_row = county.people["village"].to_numpy()[self.person_of_row]
        self.program_of_row = payments["program_code"].to_numpy(dtype=object)
        self.is_monthly = np.isin(self.program_of_row, MONTHLY)

    def village(self, scheme: str) -> int:
        """Next corrupt village for ``scheme`` (each scheme cycles through a shuffled list)."""
        queue = self._cycle.get(scheme)
        if not queue:
            queue = [int(v) for v in self.rng.permutation(self.county.corrupt_villages)]
            self._cycle[scheme] = queue
        return queue.pop()

    def monthly_recipients(self, village: int, programs=MONTHLY) -> np.ndarray:
        """Living people of ``village`` paid by one of ``programs`` and not yet used."""
        key = tuple(programs)
        if key not in self._recipients:
            payments = self.county.payments
            mask = np.isin(self.program_of_row, list(programs))
            persons = np.unique(payments.loc[mask, "person"].to_numpy())
            persons = persons[persons >= 0]
            villages = self.county.people["village"].to_numpy()[persons]
            order = np.argsort(villages, kind="stable")
            persons, villages = persons[order], villages[order]
            bounds = np.searchsorted(villages, np.arange(len(self.county.villages) + 1))
            self._recipients[key] = (persons, bounds)
        persons, bounds = self._recipients[key]
        persons = persons[bounds[village] : bounds[village + 1]]
        alive = self.county.people["death_date"].isna().to_numpy()[persons]
        return np.array([p for p in persons[alive] if p not in self.used], dtype=int)

    def rows_per_village_program(self, village: int, program: str) -> int:
        """Baseline payment rows of ``program`` in ``village``."""
        if not hasattr(self, "_row_counts"):
            codes = {c: i for i, c in enumerate(PROGRAM_INDEX)}
            self._program_int = np.array([codes[c] for c in self.program_of_row], dtype=int)
            counts = np.zeros((len(self.county.villages), len(codes)), dtype=int)
            np.add.at(counts, (self.village_of_row, self._program_int), 1)
            self._row_counts = counts
        return int(self._row_counts[village, PROGRAM_INDEX[program]])

    def village_program_mask(self, village: int, program: str) -> np.ndarray:
        """Boolean mask of the baseline rows of ``program`` in ``village``."""
        self.rows_per_village_program(village, program)
        return (self.village_of_row == village) & (self._program_int == PROGRAM_INDEX[program])

    def take(self, candidates, exclude_households: set[int] | None = None) -> int | None:
        """Pick one unused person among ``candidates`` (optionally outside some households)."""
        candidates = np.asarray(candidates, dtype=int)
        if len(candidates) == 0:
            return None
        keep = ~np.isin(candidates, np.fromiter(self.used, dtype=int, count=len(self.used)))
        if exclude_households:
            households = self.county.people["household"].to_numpy()[candidates]
            keep &= ~np.isin(households, list(exclude_households))
        options = candidates[keep]
        if len(options) == 0:
            return None
        person = int(options[int(self.rng.integers(0, len(options)))])
        self.used.add(person)
        return person

    def rows(
        self,
        person: int,
        program: str,
        months,
        amount,
        account: str,
        village: int,
        id_number: str | None = None,
        name: str | None = None,
        day_shift: int = 0,
    ) -> pd.DataFrame:
        """Monthly payment rows in the county's pay-day calendar."""
        county = self.county
        months = np.asarray(list(months), dtype=int)
        day = county.pay_day[village, PROGRAM_INDEX[program], months - 1] + day_shift
        day = np.minimum(day, 28)
        dates = pd.to_datetime(
            {"year": np.full(len(months), county.year), "month": months, "day": day}
        )
        period = (
            [f"{county.year}-{m:02d}" for m in months]
            if program != "LY01"
            else [f"{county.year}Q{(m - 1) // 3 + 1}" for m in months]
        )
        amounts = np.broadcast_to(np.asarray(amount, dtype=float), months.shape)
        return pd.DataFrame(
            {
                "person": person,
                "program_code": program,
                "amount": amounts,
                "pay_date": dates.to_numpy(),
                "covered_period": period,
                "quantity": np.nan,
                "unit_price": np.nan,
                "status": "成功",
                "payee_person": -1,
                "account_no": account,
                "id_number": id_number,
                "name": name,
                "village": village,
            }
        )

    def add_payments(self, frame: pd.DataFrame) -> None:
        self.county.extra_payments.append(frame)


def plant_all(county: County) -> None:
    """Plant every scheme, then look-alikes and honest noise."""
    planter = Planter(county)
    for name in SCHEMES:
        for _ in range(county.scheme_count(name)):
            SCHEMES[name](planter)
    plant_complaints(planter)
    for kind, function in LOOKALIKES.items():
        function(planter, county.lookalike_count(kind))
    add_honest_noise(planter)


# --- 1 deceased still paid -------------------------------------------------------------------
def plant_deceased_paid(p: Planter) -> None:
    county, rng = p.county, p.rng
    village = p.village("deceased_paid")
    recipients = p.monthly_recipients(village, ("MZ01", "MZ02", "MZ03", "MZ04", "CL01"))
    elderly = recipients[county.people["age"].to_numpy()[recipients] >= 55]
    person = p.take(elderly if len(elderly) else recipients)
    if person is None:
        return
    death = pd.Timestamp(f"{county.year - 1}-08-01") + pd.Timedelta(days=int(rng.integers(0, 390)))
    county.people.at[person, "death_date"] = death
    payments = county.payments
    after = (payments["person"].to_numpy() == person) & (payments["pay_date"] > death).to_numpy()
    style = rng.random()
    cadre = county.cadre(village, ("报账员", "村会计", "书记"))
    related = [county.id_of(person)]
    official = None
    if style < 0.35:
        account = county.account(cadre)
        payments.loc[after, "account_no"] = account
        related += [account, county.id_of(cadre)]
        official = cadre
        note = "死亡后补贴继续发放，转入村干部账户代领"
    elif style < 0.7:
        kin = [m for m, _ in household_kin(county.population, person)]
        if kin:
            relative = kin[int(rng.integers(0, len(kin)))]
            account = county.account(relative)
            payments.loc[after, "account_no"] = account
            related += [account, county.id_of(relative)]
            note = "死亡后补贴继续发放，由家属账户领取"
        else:
            related.append(str(payments.loc[after, "account_no"].iloc[0]) if after.any() else "")
            note = "死亡后补贴继续发放至本人账户"
    else:
        related.append(str(payments.loc[after, "account_no"].iloc[0]) if after.any() else "")
        note = "死亡后补贴继续发放至本人账户"
    amount = float(payments.loc[after, "amount"].sum())
    county.add_truth(
        "deceased_paid",
        "person",
        county.id_of(person),
        village,
        related[1:],
        official,
        amount,
        f"{note}（死亡日期{death.date()}）",
    )


# --- 2 public employee or cadre on means-tested aid -----------------------------------------
def plant_official_on_aid(p: Planter) -> None:
    county, rng = p.county, p.rng
    village = p.village("official_on_aid")
    cadres = county.cadres[county.cadres["village"] == village]["person"].to_numpy()
    employees = county.employees["person"].to_numpy()
    employees = employees[county.people["village"].to_numpy()[employees] == village]
    pool = employees if (rng.random() < 0.45 and len(employees)) else cadres
    person = p.take(pool)
    if person is None:
        return
    program = "MZ01" if rng.random() < 0.75 else "MZ02"
    first = int(rng.integers(1, 7))
    months = range(first, 13)
    account = county.account(person)
    p.add_payments(p.rows(person, program, months, STANDARD[program], account, village))
    amount = STANDARD[program] * len(months)
    kind = "村干部" if person in set(cadres) else "财政供养人员"
    county.add_truth(
        "official_on_aid",
        "official",
        county.id_of(person),
        village,
        [account],
        person,
        amount,
        f"{kind}本人领取{PROGRAMS[PROGRAM_INDEX[program]][1]}",
    )


# --- 3 relatives of cadres favoured ----------------------------------------------------------
def _cadre_relative(
    p: Planter, village: int, cross_household_first: bool = True
) -> tuple[int, int, str, bool] | None:
    """(cadre, relative, relation, via_relatives_table) for a cadre of ``village``."""
    county, rng = p.county, p.rng
    cadres = county.cadres[county.cadres["village"] == village]["person"].to_numpy()
    officials = set(county.cadres["person"]) | set(county.employees["person"])
    for cadre in rng.permutation(cadres):
        cadre = int(cadre)
        options: list[tuple[int, str, bool]] = []
        if cross_household_first:
            for sibling in county.sibling_index.find(cadre, rng, 3):
                options.append((sibling, "兄弟姐妹", True))
            spouse = [m for m, r in household_kin(county.population, cadre) if r == "配偶"]
            for s in spouse:
                for sibling in county.sibling_index.find(s, rng, 2):
                    options.append((sibling, "配偶的兄弟姐妹", True))
        for member, relation in household_kin(county.population, cadre):
            if county.people.at[member, "age"] >= 18:
                options.append((member, relation, False))
        options = [
            o
            for o in options
            if o[0] not in p.used
            and o[0] not in officials
            and pd.isna(county.people.at[o[0], "death_date"])
        ]
        if options:
            relative, relation, cross = options[int(rng.integers(0, min(len(options), 3)))]
            p.used.add(relative)
            return cadre, relative, relation, cross
    return None


def _declare(county: County, cadre: int, relative: int, relation: str) -> None:
    if relation == "配偶的兄弟姐妹":
        spouse = [m for m, r in household_kin(county.population, cadre) if r == "配偶"]
        if spouse:
            county.relatives.append((county.id_of(spouse[0]), county.id_of(relative), "兄弟姐妹"))
            return
    county.relatives.append(
        (
            county.id_of(cadre),
            county.id_of(relative),
            relation if relation != "配偶的兄弟姐妹" else "兄弟姐妹",
        )
    )


def plant_relative_favoured(p: Planter) -> None:
    county, rng = p.county, p.rng
    village = p.village("relative_favoured")
    found = _cadre_relative(p, village, cross_household_first=rng.random() < 0.6)
    if found is None:
        return
    cadre, relative, relation, cross = found
    if cross:  # kin in another household is visible only through the declaration
        _declare(county, cadre, relative, relation)
    first = int(rng.integers(1, 6))
    months = range(first, 13)
    account = county.account(relative)
    amount_each = STANDARD["MZ01"] * (1 if rng.random() < 0.7 else 0.8)
    p.add_payments(p.rows(relative, "MZ01", months, amount_each, account, village))
    related = [county.id_of(cadre), account]
    if rng.random() < 0.6:
        vehicles = projects_module_vehicle(county, relative, rng)
        asset = f"家庭名下登记{vehicles}"
    else:
        company = projects_module.add_company(
            county, f"衡阳县{county.people.at[relative, 'name']}种养专业合作社", relative
        )
        related.append(company["credit_code"])
        asset = f"本人为{company['name']}法定代表人"
    county.add_truth(
        "relative_favoured",
        "person",
        county.id_of(relative),
        village,
        related,
        cadre,
        amount_each * len(months),
        f"村干部{relation}享受低保，{asset}" + ("（亲属关系仅见于同户）" if not cross else ""),
    )


def projects_module_vehicle(county: County, person: int, rng) -> str:
    from riskmodel.synth.county import _vehicle_rows

    kind = ("小型轿车", "小型普通客车", "轻型普通货车")[int(rng.integers(0, 3))]
    frame = _vehicle_rows(rng, np.array([person]), county, kinds=(kind,))
    frame["register_date"] = pd.Timestamp(f"{county.year - 2}-01-01") + pd.Timedelta(
        days=int(rng.integers(0, 600))
    )
    county.vehicles = pd.concat([county.vehicles, frame], ignore_index=True)
    return kind


# --- 4 card capture --------------------------------------------------------------------------
def plant_card_capture(p: Planter) -> None:
    county, rng = p.county, p.rng
    village = p.village("card_capture")
    cadre = county.cadre(
        village, ("报账员", "村会计", "书记") if rng.random() < 0.7 else ("书记", "主任")
    )
    cadre_household = county.people.at[cadre, "household"]
    recipients = p.monthly_recipients(village)
    size = int(rng.integers(3, 9))
    chosen: list[int] = []
    households = {cadre_household}
    for _ in range(size):
        person = p.take(recipients, households)
        if person is None:
            break
        chosen.append(person)
        households.add(county.people.at[person, "household"])
    if len(chosen) < 3:
        return
    holder = cadre
    if rng.random() < 0.3:
        spouse = [m for m, r in household_kin(county.population, cadre) if r == "配偶"]
        holder = spouse[0] if spouse else cadre
    account = county.account(holder)
    start = int(rng.integers(1, 7))
    payments = county.payments
    month = p.month
    mask = np.isin(payments["person"].to_numpy(), chosen) & (month >= start) & p.is_monthly
    payments.loc[mask, "account_no"] = account
    related = [county.id_of(cadre)] + ([county.id_of(holder)] if holder != cadre else [])
    # the people whose payments the card actually took (one paid only before the start is not)
    redirected = set(payments.loc[mask, "person"].tolist())
    related += [county.id_of(c) for c in chosen if c in redirected]
    county.add_truth(
        "card_capture",
        "account",
        account,
        village,
        related,
        cadre,
        float(payments.loc[mask, "amount"].sum()),
        f"{len(redirected)}户群众的补贴自{start}月起打入村干部"
        + ("配偶" if holder != cadre else "")
        + "账户",
    )


# --- 5 ghosts --------------------------------------------------------------------------------
def plant_ghost(p: Planter) -> None:
    county, rng = p.county, p.rng
    village = p.village("ghost")
    ages = rng.uniform(62, 88, 1)
    is_male = rng.random(1) < 0.5
    birth = np.datetime64(f"{county.year}-01-01") - np.round(ages * 365.25).astype("timedelta64[D]")
    ghost_id, _ = make_id_numbers(
        rng, np.array([int(county.settings["county_code"])]), birth, is_male, county.taken
    )
    surnames, probabilities = surname_table()
    name = str(surnames[rng.choice(len(surnames), p=probabilities)] + given_names(rng, is_male)[0])
    program = ("MZ01", "MZ02", "CL01", "MZ03")[int(rng.integers(0, 4))]
    first = int(rng.integers(1, 8))
    cadre = county.cadre(village, ("报账员", "村会计", "书记"))
    related: list[str] = []
    # an account in the ghost's own name is tied to the cadre only by the phone he reserved on
    # it: a cadre without a phone pays the ghost into his own or a relative's account instead
    cadre_phone = str(county.people.at[cadre, "phone"] or "")
    if cadre_phone and rng.random() < 0.5:
        account, bank = make_account_numbers(rng, 1)
        account = str(account[0])
        county.extra_accounts.append(
            {
                "account_no": account,
                "holder_id_number": str(ghost_id[0]),
                "holder_name": name,
                "bank": str(bank[0]),
                "open_date": pd.Timestamp(f"{county.year - 1}-11-20"),
                "phone": cadre_phone,
            }
        )
        note = "虚构人员，以其名义开户领取"
    else:
        holder = cadre
        kin = [m for m, _ in household_kin(county.population, cadre)]
        if kin and rng.random() < 0.5:
            holder = kin[0]
        account = county.account(holder)
        related.append(county.id_of(holder))
        note = "虚构人员，补贴打入村干部或其家属账户"
    amount = STANDARD[program] * (1.0 if program != "MZ01" else float(rng.choice([1.0, 0.9])))
    months = range(first, 13)
    p.add_payments(
        p.rows(-1, program, months, amount, account, village, id_number=str(ghost_id[0]), name=name)
    )
    county.add_truth(
        "ghost",
        "person",
        str(ghost_id[0]),
        village,
        [account, county.id_of(cadre), *related],
        cadre,
        amount * len(months),
        note,
    )


# --- 6 duplicate payments --------------------------------------------------------------------
def plant_duplicate_payment(p: Planter) -> None:
    county, rng = p.county, p.rng
    village = p.village("duplicate_payment")
    payments = county.payments
    if rng.random() < 0.6:
        person = p.take(p.monthly_recipients(village))
        if person is None:
            return
        rows = payments[(payments["person"] == person) & payments["program_code"].isin(MONTHLY)]
        program = rows["program_code"].iloc[0]
        rows = rows[rows["program_code"] == program]
        count = int(rng.integers(2, min(7, len(rows)) + 1)) if len(rows) >= 2 else len(rows)
        picked = rows.iloc[np.sort(rng.choice(len(rows), count, replace=False))].copy()
        shift = pd.to_timedelta(rng.integers(2, 16, len(picked)), unit="D")
        later = picked["pay_date"] + shift
        # a December double payment is made a few days before the original instead
        picked["pay_date"] = later.where(later.dt.year == county.year, picked["pay_date"] - shift)
        picked["village"] = village
        p.add_payments(picked)
        amount = float(picked["amount"].sum())
        account = str(picked["account_no"].iloc[0])
        note = f"同一人同一项目同一期间重复发放{count}次"
    else:
        pairs = (("MZ01", "MZ02"), ("RS01", "LY01"))
        first_program, second = pairs[int(rng.integers(0, 2))]
        recipients = p.monthly_recipients(village, (first_program,))
        person = p.take(recipients)
        if person is None:
            person = p.take(p.monthly_recipients(village, ("MZ01",)))
            first_program, second = "MZ01", "MZ02"
        if person is None:
            return
        account = county.account(person)
        months = (3, 6, 9, 12) if second == "LY01" else range(int(rng.integers(1, 8)), 13)
        # the second program is paid only in months the first one is: the overlap is the scheme
        own = (p.person_of_row == person) & (p.program_of_row == first_program)
        first_months = set(p.month[own].tolist())
        overlap = [m for m in months if m in first_months]
        if len(overlap) < 2:
            overlap = sorted(first_months)[-max(2, len(months) // 2) :]
        if len(overlap) < 2:
            return
        months = overlap
        frame = p.rows(person, second, months, STANDARD[second], account, village)
        p.add_payments(frame)
        amount = float(frame["amount"].sum())
        note = (
            f"同时享受互斥项目{PROGRAMS[PROGRAM_INDEX[first_program]][1]}与"
            f"{PROGRAMS[PROGRAM_INDEX[second]][1]}"
        )
    county.add_truth(
        "duplicate_payment", "person", county.id_of(person), village, [account], None, amount, note
    )


# --- 7 over the standard ---------------------------------------------------------------------
def plant_over_standard(p: Planter) -> None:
    county, rng = p.county, p.rng
    village = p.village("over_standard")
    payments = county.payments
    rows = np.array([], dtype=int)
    program = "MZ01"
    for attempt in range(12):
        program = ("MZ01", "CL01", "CL02", "MZ03", "RS01", "MZ02")[int(rng.integers(0, 6))]
        if attempt >= 6:
            program = "MZ01"
        candidates = p.monthly_recipients(village, (program,))
        candidates = candidates[np.isin(candidates, p.person_of_row[p.program_of_row == program])]
        person = p.take(candidates)
        if person is None:
            continue
        rows = np.flatnonzero((p.person_of_row == person) & (p.program_of_row == program))
        if len(rows) >= 5:
            break
        p.used.discard(person)
        rows = np.array([], dtype=int)
    if len(rows) == 0:
        return
    # paid over the standard from some month on, at least four months running
    rows = rows[np.argsort(p.month[rows], kind="stable")]
    rows = rows[int(rng.integers(0, len(rows) - 3)) :]
    factor = float(rng.uniform(1.7, 3.2))
    standard = STANDARD[program]
    new_amount = float(np.round(standard * factor, -1))
    payments.loc[rows, "amount"] = new_amount
    excess = (new_amount - standard) * len(rows)
    county.add_truth(
        "over_standard",
        "person",
        county.id_of(person),
        village,
        [str(payments.loc[rows, "account_no"].iloc[0])],
        None,
        excess,
        f"{PROGRAMS[PROGRAM_INDEX[program]][1]}按{new_amount:.0f}元/月发放，标准{standard:.0f}元",
    )


# --- 8 skimming ------------------------------------------------------------------------------
def plant_skimming(p: Planter) -> None:
    county, rng = p.county, p.rng
    payments = county.payments
    month = p.month
    taken = p.skimmed
    for _ in range(len(county.corrupt_villages) * 2):
        village = p.village("skimming")
        options = [c for c in ("MZ01", "MZ03", "CL01", "CL02", "MZ02") if (village, c) not in taken]
        options = [c for c in options if p.rows_per_village_program(village, c) >= 60]
        if options:
            break
    else:
        return
    # most skimming hits the big monthly programs; small allowances are skimmed too
    weights = np.array([SKIM_WEIGHTS[c] for c in options])
    program = options[int(rng.choice(len(options), p=weights / weights.sum()))]
    taken.add((village, program))
    p.skimmed = taken
    start = int(rng.integers(1, 6))
    end = int(rng.integers(min(12, start + 5), 13))
    cut = float(rng.uniform(0.10, 0.20))
    mask = p.village_program_mask(village, program) & (month >= start) & (month <= end)
    # rows of people already carrying another planted scheme keep their own pattern
    mask &= ~np.isin(p.person_of_row, np.fromiter(p.used, dtype=int, count=len(p.used)))
    standard = STANDARD[program]
    paid = float(np.round(standard * (1 - cut), 0))
    payments.loc[mask, "amount"] = paid
    shortfall = (standard - paid) * int(mask.sum())
    cadre = county.cadre(village, ("书记", "报账员", "村会计"))
    names = county.name_array
    monthly = shortfall / (end - start + 1)
    rows = []
    use_fee = rng.random() < 0.5
    for m in range(start, end + 1):
        date = pd.Timestamp(f"{county.year}-{m:02d}-{int(rng.integers(18, 29))}")
        if use_fee:
            rows.append(
                {
                    "village": village,
                    "date": date,
                    "summary": "收取补贴发放管理费",
                    "category": "其他收入",
                    "account_code": "531",
                    "direction": "收入",
                    "amount": float(np.round(monthly * rng.uniform(0.6, 1.0), -1)),
                    "method": "现金",
                    "counterparty_name": "",
                    "counterparty_id": "",
                    "counterparty_account": "",
                    "handler": names[cadre],
                    "approver": names[cadre],
                    "planted": "skimming",
                }
            )
        elif m % 2 == 0:
            rows.append(
                {
                    "village": village,
                    "date": date,
                    "summary": "借支",
                    "category": "内部往来",
                    "account_code": "113",
                    "direction": "支出",
                    "amount": float(max(1000.0, np.round(monthly * 2, -3))),
                    "method": "转账",
                    "counterparty_name": names[cadre],
                    "counterparty_id": county.id_of(cadre),
                    "counterparty_account": county.account(cadre),
                    "handler": names[cadre],
                    "approver": names[cadre],
                    "planted": "skimming",
                }
            )
    if rows:
        ledger_module.add_rows(county, rows)
    county.add_truth(
        "skimming",
        "village",
        county.village_code(village),
        village,
        [program, county.id_of(cadre)],
        cadre,
        shortfall,
        f"{PROGRAMS[PROGRAM_INDEX[program]][1]}{start}-{end}月每笔少发{cut:.0%}，"
        + ("村账记有管理费收入" if use_fee else "村干部账户收到整数转账"),
    )


# --- 9 split payments ------------------------------------------------------------------------
def plant_split_payment(p: Planter) -> None:
    county, rng = p.county, p.rng
    village = p.village("split_payment")
    threshold = county.settings["ledger"]["approval_threshold"]
    names = county.name_array
    approver = county.cadre(village, ("书记",))
    handler = county.cadre(village, ("报账员", "村会计", "主任"))
    if rng.random() < 0.6:
        companies = county.companies
        company = companies.iloc[int(rng.integers(0, len(companies)))]
        payee, payee_id, account = company["name"], company["credit_code"], company["account_no"]
    else:
        found = _cadre_relative(p, village)
        person = (
            found[1]
            if found
            else p.take(np.flatnonzero(county.people["village"].to_numpy() == village))
        )
        payee, payee_id, account = names[person], county.id_of(person), county.account(person)
    count = int(rng.integers(3, 6))
    start = pd.Timestamp(f"{county.year}-{int(rng.integers(2, 11)):02d}-{int(rng.integers(1, 20))}")
    work = ("村道维修材料款", "水渠修复工程款", "村部维修款", "堰塘清淤费")[int(rng.integers(0, 4))]
    rows = []
    total = 0.0
    for k in range(count):
        amount = float(np.round(threshold * rng.uniform(0.90, 0.995), -1))
        total += amount
        rows.append(
            {
                "village": village,
                "date": start + pd.Timedelta(days=int(k * rng.integers(4, 12))),
                "summary": f"{work}（{'一二三四五'[k]}）",
                "category": "在建工程",
                "account_code": "154",
                "direction": "支出",
                "amount": amount,
                "method": "转账",
                "counterparty_name": payee,
                "counterparty_id": payee_id,
                "counterparty_account": account,
                "handler": names[handler],
                "approver": names[approver],
                "planted": "split_payment",
            }
        )
    ledger_module.add_rows(county, rows)
    county.add_truth(
        "split_payment",
        "payee",
        payee_id,
        village,
        [county.village_code(village), county.id_of(approver), county.id_of(handler)],
        approver,
        total,
        f"{count}笔均略低于{threshold:.0f}元审批线，间隔数日",
    )


# --- 10 self-payment -------------------------------------------------------------------------
def plant_self_payment(p: Planter) -> None:
    county, rng = p.county, p.rng
    village = p.village("self_payment")
    names = county.name_array
    cadre = county.cadre(
        village, ("报账员", "村会计", "主任", "书记") if rng.random() < 0.6 else ("书记", "主任")
    )
    approver = county.cadre(village, ("书记",))
    rows = []
    total = 0.0
    for _ in range(int(rng.integers(2, 7))):
        amount = float(np.round(rng.uniform(300, 3200), 0 if rng.random() < 0.6 else -2))
        cash = rng.random() < 0.7
        total += amount
        rows.append(
            {
                "village": village,
                "date": pd.Timestamp(
                    f"{county.year}-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}"
                ),
                "summary": ("劳务费", "误工补贴", "差旅补助", "协调工作经费")[
                    int(rng.integers(0, 4))
                ],
                "category": "管理费用",
                "account_code": "541",
                "direction": "支出",
                "amount": amount,
                "method": "现金" if cash else "转账",
                "counterparty_name": names[cadre],
                "counterparty_id": county.id_of(cadre) if rng.random() < 0.6 else "",
                "counterparty_account": "" if cash else county.account(cadre),
                "handler": names[cadre],
                "approver": names[approver] if rng.random() < 0.6 else names[cadre],
                "planted": "self_payment",
            }
        )
    ledger_module.add_rows(county, rows)
    county.add_truth(
        "self_payment",
        "official",
        county.id_of(cadre),
        village,
        [county.village_code(village)],
        cadre,
        total,
        f"经手人本人为收款人，共{len(rows)}笔",
    )


# --- 11 contracts to kin ---------------------------------------------------------------------
def plant_contract_to_kin(p: Planter) -> None:
    county, rng = p.county, p.rng
    village = p.village("contract_to_kin")
    found = _cadre_relative(p, village, cross_household_first=rng.random() < 0.6)
    if found is None:
        return
    cadre, relative, relation, cross = found
    if cross:  # kin in another household is visible only through the declaration
        _declare(county, cadre, relative, relation)
    as_shareholder = rng.random() < 0.35
    people = county.people
    if as_shareholder:
        adults = np.flatnonzero((people["age"].to_numpy() > 30) & (people["age"].to_numpy() < 60))
        front = p.take(adults)
        rep, shareholder = front, relative
    else:
        rep, shareholder = relative, None
    phone = people.at[cadre, "phone"] if rng.random() < 0.3 and people.at[cadre, "phone"] else None
    words = ("兴村", "顺安", "鸿运", "福源", "宏业", "立信", "众诚", "百盛")
    company = projects_module.add_company(
        county,
        f"衡阳县{words[int(rng.integers(0, len(words)))]}"
        f"{county.villages.at[village, 'village_name'][:2]}建筑工程有限公司",
        rep,
        shareholder,
        phone=phone,
    )
    county.project_serial += 1
    project = projects_module._project_row(
        county,
        rng,
        village,
        county.project_serial,
        county.companies,
        county.year,
        company=pd.Series(company),
    )
    county.projects = pd.concat([county.projects, pd.DataFrame([project])], ignore_index=True)
    county.project_payments = pd.concat(
        [county.project_payments, projects_module._payments_for(county, rng, pd.Series(project))],
        ignore_index=True,
    )
    related = [project["project_id"], county.id_of(cadre), county.id_of(relative)]
    via = "亲属关系申报表" if cross else "同户成员"
    county.add_truth(
        "contract_to_kin",
        "company",
        company["credit_code"],
        village,
        related,
        cadre,
        project["contract_amount"],
        f"中标单位{'股东' if as_shareholder else '法定代表人'}为村干部{relation}（关联见于{via}）",
    )


# --- 12 paid before done ---------------------------------------------------------------------
def plant_paid_before_done(p: Planter) -> None:
    county, rng = p.county, p.rng
    village = p.village("paid_before_done")
    county.project_serial += 1
    builders = county.companies[county.companies["name"].str.contains("工程")]
    project = projects_module._project_row(
        county, rng, village, county.project_serial, builders, county.year
    )
    cadre = county.cadre(village, ("书记",))
    contract = project["contract_amount"]
    if rng.random() < 0.5:
        # paid in full, acceptance later or never
        project["acceptance_date"] = (
            pd.NaT
            if rng.random() < 0.5
            else pd.Timestamp(f"{county.year}-12-{int(rng.integers(10, 29))}")
        )
        project["status"] = "已验收" if pd.notna(project["acceptance_date"]) else "在建"
        shares = (0.3, 0.4, 0.3) if rng.random() < 0.5 else (0.5, 0.5)
        frame = projects_module._payments_for(
            county, rng, pd.Series(project), shares=shares, before_acceptance=True
        )
        if pd.notna(project["acceptance_date"]):
            frame = frame[frame["pay_date"] < project["acceptance_date"]]
        amount = float(frame["amount"].sum())
        note = "验收前已全额拨付"
    else:
        extra = float(rng.uniform(0.1, 0.35))
        frame = projects_module._payments_for(county, rng, pd.Series(project))
        top_up = frame.iloc[[-1]].copy()
        top_up["pay_date"] = top_up["pay_date"] + pd.Timedelta(days=int(rng.integers(5, 30)))
        top_up["amount"] = float(
            np.round(contract * (1.0 - frame["amount"].sum() / contract + extra), -2)
        )
        frame = pd.concat([frame, top_up], ignore_index=True)
        amount = float(frame["amount"].sum() - contract)
        note = f"累计拨付超过合同金额{extra:.0%}"
    county.projects = pd.concat([county.projects, pd.DataFrame([project])], ignore_index=True)
    county.project_payments = pd.concat([county.project_payments, frame], ignore_index=True)
    county.add_truth(
        "paid_before_done",
        "project",
        project["project_id"],
        village,
        [project["contractor_code"], county.id_of(cadre)],
        cadre,
        amount,
        note,
    )


# --- 13 invented ledger ----------------------------------------------------------------------
def plant_invented_ledger(p: Planter) -> None:
    county, rng = p.county, p.rng
    done = p.invented
    options = [v for v in county.corrupt_villages if v not in done]
    if not options:
        return
    village = int(options[int(rng.integers(0, len(options)))])
    done.add(village)
    p.invented = done
    ledger = county.ledger
    rows = (
        (ledger["village"] == village).to_numpy()
        & (ledger["direction"] == "支出").to_numpy()
        & (ledger["category"] != "应付工资").to_numpy()
        & (ledger["planted"] == "").to_numpy()
    )
    # the bookkeeper invents the figures of the running costs; vouchers paid to the village's
    # own cadres keep their amounts, so no cadre is enriched without being in the truth
    cadre_ids = {
        county.id_of(int(c))
        for c in county.cadres.loc[county.cadres["village"] == village, "person"]
    }
    rows &= ~ledger["counterparty_id"].isin(cadre_ids).to_numpy()
    index = np.flatnonzero(rows)
    share = float(rng.uniform(0.45, 0.8))
    changed = index[rng.random(len(index)) < share]
    first_digit = rng.integers(1, 10, len(changed))
    magnitude = 10.0 ** rng.integers(2, 4, len(changed))
    ledger.loc[changed, "amount"] = (
        first_digit * magnitude * rng.choice([1.0, 1.0, 1.5], len(changed))
    )
    bookkeeper = county.cadre(village, ("报账员", "村会计"))
    names = county.name_array
    surge = int(len(index) * rng.uniform(0.3, 0.6))
    extra = []
    for _ in range(surge):
        month = 12 if rng.random() < 0.65 else 11
        extra.append(
            {
                "village": village,
                "date": pd.Timestamp(f"{county.year}-{month}-{int(rng.integers(1, 29)):02d}"),
                "summary": ("其他支出", "办公费", "劳务费", "招待费", "材料费")[
                    int(rng.integers(0, 5))
                ],
                "category": "管理费用",
                "account_code": "541",
                "direction": "支出",
                "amount": float(rng.integers(1, 10) * 10 ** int(rng.integers(2, 4))),
                "method": "现金" if rng.random() < 0.5 else "转账",
                "counterparty_name": "",
                "counterparty_id": "",
                "counterparty_account": "",
                "handler": names[bookkeeper],
                "approver": ledger.loc[index[0], "approver"] if len(index) else "",
                "planted": "invented_ledger",
            }
        )
    ledger_module.add_rows(county, extra)
    county.add_truth(
        "invented_ledger",
        "village",
        county.village_code(village),
        village,
        [county.id_of(bookkeeper)],
        bookkeeper,
        float(ledger.loc[changed, "amount"].sum()) + sum(r["amount"] for r in extra),
        f"{len(changed)}笔支出改为整数金额，年末新增{surge}笔，首位数字偏离本福特分布",
    )


# --- 14 complaints that corroborate ----------------------------------------------------------
def plant_complaints(p: Planter) -> None:
    county, rng = p.county, p.rng
    categories = {
        "card_capture": "截留挪用",
        "relative_favoured": "优亲厚友",
        "contract_to_kin": "工程问题",
        "ghost": "虚报冒领",
        "skimming": "截留挪用",
        "self_payment": "贪污侵占",
        "deceased_paid": "虚报冒领",
        "invented_ledger": "村务不公开",
        "split_payment": "工程问题",
    }
    candidates = [
        row for row in county.planted if row["official_id"] and row["scheme"] in categories
    ]
    order = rng.permutation(len(candidates))
    wanted = county.scheme_count("complaint_corroborated")
    people_index = pd.Series(np.arange(len(county.people)), index=county.people["id_number"])
    county.planted_complaints = []
    seen: set[str] = set()
    for i in order:
        if len(county.planted_complaints) >= wanted:
            break
        row = candidates[i]
        if row["official_id"] in seen:
            continue
        seen.add(row["official_id"])
        cadre = int(people_index[row["official_id"]])
        village = int(county.people.at[cadre, "village"])
        category = categories[row["scheme"]]
        summary = {
            "截留挪用": "反映村干部扣留群众一卡通，补贴未足额到户",
            "优亲厚友": "反映村干部亲属家境较好却享受低保",
            "工程问题": "反映村里工程由村干部亲戚承包，质量差",
            "虚报冒领": "反映有人冒领已故或不存在人员的补贴",
            "贪污侵占": "反映村干部虚列开支，款项进入个人腰包",
            "村务不公开": "反映村账目不公开，年底突击花钱",
        }[category]
        complaint = projects_module._complaint_row(
            county, rng, village, county.cadres, cadre, category, summary
        )
        complaint["truth_index"] = len(county.planted)
        county.planted_complaints.append(complaint)
        county.add_truth(
            "complaint_corroborated",
            "official",
            row["official_id"],
            village,
            [county.village_code(village)],
            cadre,
            0.0,
            f"信访举报与{row['scheme']}数据发现相互印证",
        )


SCHEMES = {
    "deceased_paid": plant_deceased_paid,
    "official_on_aid": plant_official_on_aid,
    "relative_favoured": plant_relative_favoured,
    "card_capture": plant_card_capture,
    "ghost": plant_ghost,
    "duplicate_payment": plant_duplicate_payment,
    "over_standard": plant_over_standard,
    "skimming": plant_skimming,
    "split_payment": plant_split_payment,
    "self_payment": plant_self_payment,
    "contract_to_kin": plant_contract_to_kin,
    "paid_before_done": plant_paid_before_done,
    "invented_ledger": plant_invented_ledger,
}


# --- look-alikes -----------------------------------------------------------------------------
def _clean_villages(county: County) -> list[int]:
    return [v for v in range(len(county.villages)) if v not in set(county.corrupt_villages)]


def lookalike_death_month(p: Planter, count: int) -> None:
    """Died during the year; the previous month's allowance is paid after the death."""
    county, rng = p.county, p.rng
    payments = county.payments
    people = county.people
    died = people["death_date"].notna().to_numpy() & (
        pd.DatetimeIndex(people["death_date"]).year == county.year
    )
    died &= pd.DatetimeIndex(people["death_date"]).month.to_numpy() >= 2
    died &= pd.DatetimeIndex(people["death_date"]).day.to_numpy() <= 20
    monthly = p.is_monthly
    candidates = np.unique(
        payments.loc[monthly & died[payments["person"].to_numpy()], "person"].to_numpy()
    )
    candidates = [c for c in rng.permutation(candidates) if c not in p.used][:count]
    month = pd.DatetimeIndex(payments["pay_date"]).month.to_numpy()
    for person in candidates:
        death = people.at[person, "death_date"]
        rows = np.flatnonzero(
            (payments["person"].to_numpy() == person) & monthly & (month == death.month - 1)
        )
        if not len(rows):
            continue
        p.used.add(int(person))
        new_date = death + pd.Timedelta(days=int(rng.integers(1, 8)))
        payments.loc[rows, "pay_date"] = new_date
        county.add_lookalike(
            "death_month_payment",
            "person",
            county.id_of(person),
            int(people.at[person, "village"]),
            [str(payments.at[rows[0], "account_no"])],
            f"{death.date()}死亡，当月发放的是上月（{death.month - 1}月）待遇",
        )


def lookalike_disabled_relative(p: Planter, count: int) -> None:
    county, rng = p.county, p.rng
    villages = _clean_villages(county)
    made = 0
    for village in rng.permutation(villages):
        if made >= count:
            break
        found = _cadre_relative(p, int(village), cross_household_first=rng.random() < 0.5)
        if found is None:
            continue
        cadre, relative, relation, cross = found
        if cross:
            _declare(county, cadre, relative, relation)
        county.people.at[relative, "disability"] = ("肢体一级", "视力二级", "智力二级", "肢体二级")[
            int(rng.integers(0, 4))
        ]
        already = (
            (county.payments["person"] == relative) & (county.payments["program_code"] == "CL02")
        ).any()
        account = county.account(relative)
        if not already:
            p.add_payments(
                p.rows(relative, "CL02", range(1, 13), STANDARD["CL02"], account, int(village))
            )
        county.add_lookalike(
            "disabled_relative",
            "person",
            county.id_of(relative),
            int(village),
            [county.id_of(cadre)],
            f"村干部{relation}持{county.people.at[relative, 'disability']}残疾证，"
            "领取重度残疾人护理补贴，符合条件",
        )
        made += 1


def lookalike_household_account(p: Planter, count: int) -> None:
    """Education aid paid into a parent's (head's) card in the same household."""
    county, rng = p.county, p.rng
    payments = county.payments
    people = county.people
    rows = np.flatnonzero(p.program_of_row == "JY01")
    students = np.unique(payments["person"].to_numpy()[rows])
    heads = county.population.households["head"].to_numpy()[people["household"].to_numpy()]
    share = county.settings["programs"]["education_parent_account_share"]
    chosen = [s for s in rng.permutation(students) if heads[s] != s and s not in p.used]
    chosen = chosen[: max(count, int(len(students) * share))]
    chosen = np.array(sorted(int(c) for c in chosen), dtype=int)
    parents = heads[chosen]
    county.used_person_accounts.update(int(x) for x in parents)
    rows_mask = (p.program_of_row == "JY01") & np.isin(payments["person"].to_numpy(), chosen)
    parent_of = pd.Series(parents, index=chosen)
    row_parents = parent_of.loc[payments.loc[rows_mask, "person"].to_numpy()].to_numpy()
    payments.loc[rows_mask, "account_no"] = county.account_of_person[row_parents]
    for student, parent in zip(chosen, parents, strict=True):
        county.add_lookalike(
            "household_account",
            "account",
            str(county.account_of_person[parent]),
            int(people.at[student, "village"]),
            [county.id_of(student), county.id_of(parent)],
            "教育资助打入同户家长账户",
        )


def lookalike_nursing_home(p: Planter, count: int) -> None:
    """Recorded when the nursing homes are built (see county._tekun_nursing_homes)."""


def lookalike_mistyped_id(p: Planter, count: int) -> None:
    county, rng = p.county, p.rng
    payments = county.payments
    people = county.people
    candidates = [
        c for c in rng.permutation(np.unique(payments["person"].to_numpy())) if c not in p.used
    ][:count]
    if "typo_of" not in payments:
        payments["typo_of"] = None
    for person in candidates:
        p.used.add(int(person))
        true_id = county.id_of(person)
        typo = swap_adjacent_digits(rng, true_id)
        rows = np.flatnonzero(payments["person"].to_numpy() == person)
        if rng.random() < 0.5:
            rows = rows[: int(rng.integers(1, len(rows) + 1))]
        payments.loc[rows, "id_number"] = typo
        payments.loc[rows, "typo_of"] = true_id
        county.add_lookalike(
            "mistyped_id",
            "person",
            typo,
            int(people.at[person, "village"]),
            [true_id],
            "身份证号录入时相邻两位颠倒，校验位不符，实为本村在册人员",
        )


def lookalike_welfare_wages(p: Planter, count: int) -> None:
    county, rng = p.county, p.rng
    villages = _clean_villages(county)
    names = county.name_array
    rows = []
    for village in rng.permutation(villages)[:count]:
        village = int(village)
        residents = np.flatnonzero(county.people["village"].to_numpy() == village)
        workers = [p.take(residents) for _ in range(int(rng.integers(2, 5)))]
        workers = [w for w in workers if w is not None]
        wage = float(rng.choice([800.0, 1000.0, 1200.0]))
        handler = county.cadre(village, ("报账员", "村会计"))
        approver = county.cadre(village, ("书记",))
        for worker in workers:
            for month in range(1, 13):
                rows.append(
                    {
                        "village": village,
                        "date": pd.Timestamp(
                            f"{county.year}-{month:02d}-{int(rng.integers(1, 8)):02d}"
                        ),
                        "summary": "公益性岗位保洁员工资",
                        "category": "应付工资",
                        "account_code": "211",
                        "direction": "支出",
                        "amount": wage,
                        "method": "转账",
                        "counterparty_name": names[worker],
                        "counterparty_id": county.id_of(worker),
                        "counterparty_account": county.account(worker),
                        "handler": names[handler],
                        "approver": names[approver],
                        "planted": "",
                    }
                )
        county.add_lookalike(
            "welfare_post_wages",
            "village",
            county.village_code(village),
            village,
            [county.id_of(w) for w in workers],
            f"{len(workers)}名公益性岗位人员每月固定{wage:.0f}元工资，整数属正常",
        )
    if rows:
        ledger_module.add_rows(county, rows)


LOOKALIKES = {
    "death_month_payment": lookalike_death_month,
    "disabled_relative": lookalike_disabled_relative,
    "household_account": lookalike_household_account,
    "nursing_home_account": lookalike_nursing_home,
    "mistyped_id": lookalike_mistyped_id,
    "welfare_post_wages": lookalike_welfare_wages,
}


def add_honest_noise(p: Planter) -> None:
    """Late monthly payments (补发 with the next month) and failed-then-reissued payments."""
    county, rng = p.county, p.rng
    conf = county.settings["programs"]
    payments = county.payments
    month = pd.DatetimeIndex(payments["pay_date"]).month.to_numpy()
    monthly = p.is_monthly & (month < 12)
    untouched = ~np.isin(payments["person"].to_numpy(), list(p.used))
    late = np.flatnonzero(
        monthly & untouched & (rng.random(len(payments)) < conf["late_payment_share"])
    )
    payments.loc[late, "pay_date"] = payments.loc[late, "pay_date"] + pd.DateOffset(months=1)
    failed = np.flatnonzero(
        monthly & untouched & (rng.random(len(payments)) < conf["failed_reissue_share"])
    )
    reissue = payments.loc[failed].copy()
    payments.loc[failed, "status"] = "失败"
    reissue["pay_date"] = reissue["pay_date"] + pd.to_timedelta(
        rng.integers(5, 15, len(reissue)), unit="D"
    )
    county.extra_payments.append(reissue)
