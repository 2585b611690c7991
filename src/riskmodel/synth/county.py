"""Assemble the synthetic county: register, officials, programs, payments, ledgers, projects."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskmodel.config import load_config
from riskmodel.synth import names as name_data
from riskmodel.synth.identity import make_account_numbers, make_credit_codes
from riskmodel.synth.officials import (
    SiblingIndex,
    build_cadres,
    build_employees,
    build_former_cadres,
    household_kin,
)
from riskmodel.synth.payments import (
    NEEDY_PROGRAMS,
    PROGRAM_INDEX,
    PROGRAMS,
    Enrolment,
    last_paid_month,
    month_rows,
)
from riskmodel.synth.population import Population, build_population, build_villages, draw_deaths

SCALES = ("tiny", "small", "county", "large")


@dataclass
class County:
    """Everything generated, before it is written out."""

    seed: int
    scale: str
    settings: dict
    rng: np.random.Generator
    year: int
    population: Population
    taken: set[int]
    cadres: pd.DataFrame = field(default_factory=pd.DataFrame)
    employees: pd.DataFrame = field(default_factory=pd.DataFrame)
    outsiders: pd.DataFrame = field(default_factory=pd.DataFrame)
    relatives: list[tuple[str, str, str]] = field(default_factory=list)
    account_of_person: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    bank_of_person: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    used_person_accounts: set[int] = field(default_factory=set)
    extra_accounts: list[dict] = field(default_factory=list)
    payments: pd.DataFrame = field(default_factory=pd.DataFrame)
    extra_payments: list[pd.DataFrame] = field(default_factory=list)
    ledger: pd.DataFrame = field(default_factory=pd.DataFrame)
    projects: pd.DataFrame = field(default_factory=pd.DataFrame)
    project_payments: pd.DataFrame = field(default_factory=pd.DataFrame)
    companies: pd.DataFrame = field(default_factory=pd.DataFrame)
    company_people: pd.DataFrame = field(default_factory=pd.DataFrame)
    vehicles: pd.DataFrame = field(default_factory=pd.DataFrame)
    complaints: pd.DataFrame = field(default_factory=pd.DataFrame)
    deaths: pd.DataFrame = field(default_factory=pd.DataFrame)
    pay_day: np.ndarray = field(default_factory=lambda: np.array([]))
    operators: dict = field(default_factory=dict)
    corrupt_villages: list[int] = field(default_factory=list)
    planted: list[dict] = field(default_factory=list)
    lookalikes: list[dict] = field(default_factory=list)
    village_schemes: dict[int, set[str]] = field(default_factory=dict)
    sibling_index: SiblingIndex | None = None
    timings: dict[str, float] = field(default_factory=dict)
    _cadres_by_village: dict[int, list[tuple[str, int]]] = field(default_factory=dict)
    pending_ledger_rows: list[dict] = field(default_factory=list)
    operators_by_village: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    is_dibao: np.ndarray = field(default_factory=lambda: np.array([], dtype=bool))
    is_tekun: np.ndarray = field(default_factory=lambda: np.array([], dtype=bool))
    nursing_homes: pd.DataFrame = field(default_factory=pd.DataFrame)
    vendor_companies: pd.DataFrame = field(default_factory=pd.DataFrame)
    project_serial: int = 0
    plate_serial: int = 0
    planted_complaints: list[dict] = field(default_factory=list)
    former_cadres: pd.DataFrame = field(default_factory=pd.DataFrame)
    _arrays: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def name_array(self) -> np.ndarray:
        """Names of all people as a numpy object array (cached; names never change)."""
        if "name" not in self._arrays:
            self._arrays["name"] = self.people["name"].to_numpy(dtype=object)
        return self._arrays["name"]

    @property
    def id_array(self) -> np.ndarray:
        """ID numbers of all people as a numpy object array (cached; IDs never change)."""
        if "id_number" not in self._arrays:
            self._arrays["id_number"] = self.people["id_number"].to_numpy(dtype=object)
        return self._arrays["id_number"]

    # --- small helpers used by the schemes -------------------------------------------------
    @property
    def people(self) -> pd.DataFrame:
        return self.population.people

    @property
    def villages(self) -> pd.DataFrame:
        return self.population.villages

    def account(self, person: int) -> str:
        """The person's own one-card account (marked as used so it is written out)."""
        self.used_person_accounts.add(int(person))
        return str(self.account_of_person[person])

    def official_family(self) -> np.ndarray:
        """Boolean per person: a sitting official (cadre or employee) lives in the household."""
        households = self.people["household"].to_numpy()
        officials = np.concatenate(
            [self.cadres["person"].to_numpy(), self.employees["person"].to_numpy()]
        ).astype(int)
        return np.isin(households, households[officials])

    def needy_people(self) -> np.ndarray:
        """Boolean per person: the household draws a needy program (``NEEDY_PROGRAMS``)."""
        payments = self.payments
        persons = payments.loc[payments["program_code"].isin(NEEDY_PROGRAMS), "person"]
        persons = persons.to_numpy()
        households = self.people["household"].to_numpy()
        needy = np.unique(households[persons[persons >= 0]])
        return np.isin(households, needy)

    def id_of(self, person: int) -> str:
        return str(self.people.at[person, "id_number"])

    def village_code(self, village: int) -> str:
        return str(self.villages.at[village, "village_code"])

    def cadre(self, village: int, positions: tuple[str, ...]) -> int:
        """Person index of the first cadre of ``village`` holding one of ``positions``."""
        if not self._cadres_by_village:
            for person, place, position in zip(
                self.cadres["person"], self.cadres["village"], self.cadres["position"], strict=True
            ):
                self._cadres_by_village.setdefault(int(place), []).append((position, int(person)))
        posts = self._cadres_by_village[int(village)]
        for wanted in positions:
            for position, person in posts:
                if wanted in position:
                    return person
        return posts[0][1]

    def scheme_count(self, scheme: str) -> int:
        """Instances of ``scheme`` to plant at this scale."""
        multiplier = float(self.settings["scales"][self.scale]["scheme_multiplier"])
        return max(1, round(self.settings["schemes"][scheme] * multiplier))

    def lookalike_count(self, kind: str) -> int:
        """Instances of look-alike ``kind`` to plant at this scale."""
        multiplier = float(self.settings["scales"][self.scale]["scheme_multiplier"])
        return max(1, round(self.settings["lookalikes"][kind] * multiplier))

    def add_truth(
        self,
        scheme: str,
        entity_type: str,
        entity_id: str,
        village: int | None,
        related: list[str],
        official: int | None,
        amount: float,
        note: str,
    ) -> None:
        code = self.village_code(village) if village is not None and village >= 0 else ""
        self.planted.append(
            {
                "scheme": scheme,
                "entity_type": entity_type,
                "entity_id": entity_id,
                "village_code": code,
                "related_ids": ";".join(dict.fromkeys(r for r in related if r)),
                "official_id": self.id_of(official) if official is not None else "",
                "amount": round(float(amount), 2),
                "note": note,
            }
        )
        if village is not None and village >= 0:
            self.village_schemes.setdefault(int(village), set()).add(scheme)

    def add_lookalike(
        self,
        kind: str,
        entity_type: str,
        entity_id: str,
        village: int | None,
        related: list[str],
        note: str,
    ) -> None:
        code = self.village_code(village) if village is not None and village >= 0 else ""
        self.lookalikes.append(
            {
                "kind": kind,
                "entity_type": entity_type,
                "entity_id": entity_id,
                "village_code": code,
                "related_ids": ";".join(dict.fromkeys(r for r in related if r)),
                "note": note,
            }
        )


def settings_for(config: dict | None) -> dict:
    """The ``synth`` table of the configuration."""
    return (config or load_config())["synth"]


def build_county(
    seed: int = 7, scale: str = "small", config: dict | None = None, progress: bool = False
) -> County:
    """Generate the whole county in memory (see :func:`riskmodel.synth.write_county`)."""
    settings = settings_for(config)
    if scale not in settings["scales"]:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(settings['scales'])}")
    size = settings["scales"][scale]
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    taken: set[int] = set()
    villages = build_villages(rng, size, settings)
    population = build_population(rng, size, settings, villages, taken)
    draw_deaths(rng, population, settings)
    county = County(
        seed=seed,
        scale=scale,
        settings=settings,
        rng=rng,
        year=int(settings["year"]),
        population=population,
        taken=taken,
    )
    county.timings["population"] = time.perf_counter() - started
    from riskmodel.synth import ledger as ledger_module
    from riskmodel.synth import projects as projects_module
    from riskmodel.synth import schemes

    stages = (
        ("kin_index", lambda: setattr(county, "sibling_index", SiblingIndex(population))),
        ("officials", lambda: _build_officials(county)),
        ("accounts", lambda: _build_accounts(county)),
        ("payments", lambda: _build_payments(county)),
        ("companies", lambda: projects_module.build_companies(county)),
        ("ledger", lambda: ledger_module.build_ledger(county)),
        ("projects", lambda: projects_module.build_projects(county)),
        ("vehicles", lambda: _build_vehicles(county)),
        ("corrupt_villages", lambda: _choose_corrupt_villages(county)),
        ("schemes", lambda: schemes.plant_all(county)),
        ("deaths", lambda: _build_deaths_table(county)),
        ("complaints", lambda: projects_module.build_background_complaints(county)),
        ("finalise_ledger", lambda: ledger_module.finalise_ledger(county)),
        ("finalise_payments", lambda: _finalise_payments(county)),
    )
    for name, stage in stages:
        begin = time.perf_counter()
        stage()
        county.timings[name] = time.perf_counter() - begin
        if progress:
            print(f"  {name:<18} {county.timings[name]:6.1f} s", flush=True)
    return county


def _choose_corrupt_villages(county: County) -> None:
    settings = county.settings
    count = max(
        int(settings["min_corrupt_villages"]),
        round(len(county.villages) * settings["corrupt_village_share"]),
    )
    count = min(count, len(county.villages) - 2)
    chosen = county.rng.choice(len(county.villages), count, replace=False)
    county.corrupt_villages = sorted(int(v) for v in chosen)


def _build_officials(county: County) -> None:
    rng = county.rng
    cadres = build_cadres(rng, county.population)
    county.former_cadres = build_former_cadres(
        rng, county.population, cadres, county.settings["population"]["former_cadre_share"]
    )
    county.used_person_accounts.update(int(p) for p in county.former_cadres["person"])
    cadre_people = set(cadres["person"].tolist())
    employees, outsiders = build_employees(
        rng, county.population, county.settings, county.taken, cadre_people
    )
    county.cadres = cadres
    county.employees = employees
    county.outsiders = outsiders
    # declared relatives: household kin (partly) and siblings in other households (partly)
    undeclared = county.settings["population"]["undeclared_relative_share"]
    declaring = list(cadres["person"]) + list(employees["person"].iloc[: len(employees) // 3])
    for person in declaring:
        own = county.id_of(person)
        for member, relation in household_kin(county.population, person):
            if rng.random() >= undeclared:
                county.relatives.append((own, county.id_of(member), relation))
        for sibling in county.sibling_index.find(person, rng, 1 + int(rng.integers(0, 2))):
            if rng.random() >= undeclared:
                county.relatives.append((own, county.id_of(sibling), "兄弟姐妹"))
    # payment operators: per town, staff of the civil-affairs centre or the finance office
    villages = county.villages
    town_of_village = villages["town_name"].to_numpy()
    names = county.people["name"].to_numpy()
    for town in villages["town_name"].unique():
        staff = employees[
            employees["org"].str.startswith(town)
            & employees["position"].isin(["民政经办员", "会计", "农技员"])
        ]
        pool = (
            [str(names[p]) for p in staff["person"]]
            or [str(names[p]) for p in employees[employees["org"].str.startswith(town)]["person"]]
            or ["经办员"]
        )
        county.operators[town] = pool[:3]
    county.operators_by_village = np.array(
        [county.operators[t][i % len(county.operators[t])] for i, t in enumerate(town_of_village)],
        dtype=object,
    )


def _build_accounts(county: County) -> None:
    accounts, banks = make_account_numbers(county.rng, len(county.people))
    county.account_of_person = accounts
    county.bank_of_person = banks


def _household_head(county: County) -> np.ndarray:
    households = county.population.households
    return households["head"].to_numpy()[county.people["household"].to_numpy()]


def _build_payments(county: County) -> None:
    rng = county.rng
    people = county.people
    conf = county.settings["programs"]
    year = county.year
    village_of_person = people["village"].to_numpy()
    county.pay_day = rng.integers(8, 26, (len(county.villages), len(PROGRAMS), 12))
    ages = people["age"].to_numpy() + 0.5
    household = people["household"].to_numpy()
    households = county.population.households
    poor_household = households["household_type"].to_numpy() != "一般户"
    poor = poor_household[household]
    alive_start = people["death_date"].isna().to_numpy() | (
        pd.DatetimeIndex(people["death_date"]).year >= year
    )
    n_households = len(households)
    draw = rng.random(n_households)
    dibao_household = np.where(
        poor_household,
        draw < conf["dibao_poor_household_rate"],
        draw < conf["dibao_other_household_rate"],
    )
    single_elderly = households["size"].to_numpy() == 1
    disabled = people["disability"].to_numpy() != ""
    severe = np.char.find(people["disability"].to_numpy().astype(str), "一级") >= 0
    severe |= np.char.find(people["disability"].to_numpy().astype(str), "二级") >= 0
    tekun = (
        single_elderly[household]
        & (ages >= 60)
        & (rng.random(len(people)) < conf["tekun_single_elderly_rate"])
    )
    dibao = dibao_household[household] & ~tekun
    county.is_dibao = dibao
    county.is_tekun = tekun
    living = (
        disabled
        & (poor | dibao | tekun)
        & (rng.random(len(people)) < conf["disability_living_rate"])
    )
    ranger = poor & (ages >= 30) & (ages <= 60) & (rng.random(len(people)) < conf["ranger_rate"])
    welfare = (
        poor
        & (ages >= 35)
        & (ages <= 65)
        & ~ranger
        & (rng.random(len(people)) < conf["welfare_post_rate"])
    )
    cadre_mask = np.zeros(len(people), dtype=bool)
    cadre_mask[county.cadres["person"].to_numpy()] = True
    employee_mask = np.zeros(len(people), dtype=bool)
    employee_mask[county.employees["person"].to_numpy()] = True
    officials = cadre_mask | employee_mask
    eligible = alive_start & ~officials
    # an honest means test counts the official's salary: no household with a sitting official
    # draws 低保, 特困 or the means-tested disability living allowance (planted schemes do)
    official_household = np.isin(household, household[officials])
    means_ok = eligible & ~official_household
    selections = {
        "MZ01": dibao & means_ok,
        "MZ02": tekun & means_ok,
        "CL01": living & alive_start & ~official_household,
        "CL02": severe & alive_start,
        "MZ03": (ages >= 80) & (ages < 90) & alive_start,
        "MZ04": (ages >= 90) & alive_start,
        "RS01": welfare & eligible,
    }
    frames = []
    death = people["death_date"].to_numpy()
    for code, mask in selections.items():
        person = np.flatnonzero(mask)
        standard = PROGRAMS[PROGRAM_INDEX[code]][3]
        # most enrolled all year; some join or leave during the year
        first = np.where(rng.random(len(person)) < 0.08, rng.integers(2, 12, len(person)), 1)
        last_alive = last_paid_month(
            death[person], county.pay_day[village_of_person[person], PROGRAM_INDEX[code], :], year
        )
        last = np.where(rng.random(len(person)) < 0.03, rng.integers(first, 13), 12)
        last = np.minimum(last, last_alive)
        enrolment = Enrolment(code, person, first, last, np.full(len(person), standard))
        frames.append(month_rows(enrolment, county.pay_day, village_of_person, year))
    ranger_person = np.flatnonzero(ranger & eligible)
    frames.append(
        month_rows(
            Enrolment(
                "LY01",
                ranger_person,
                np.ones(len(ranger_person), int),
                np.minimum(
                    12,
                    last_paid_month(
                        death[ranger_person], np.full((len(ranger_person), 12), 15), year
                    ),
                ),
                np.full(len(ranger_person), 2500.0),
            ),
            county.pay_day,
            village_of_person,
            year,
            months=(3, 6, 9, 12),
        )
    )
    frames.append(_yearly_rows(county, conf, poor_household, ages, poor))
    payments = pd.concat(frames, ignore_index=True)
    # the means test of every targeted program ("户内无财政供养人员") keeps households with a
    # sitting official out; only planted schemes put them in
    targeted = payments["program_code"].isin(TARGETED_PROGRAMS).to_numpy()
    payments = payments[~(targeted & official_household[payments["person"].to_numpy()])]
    payments = payments.reset_index(drop=True)
    heads = _household_head(county)
    own_card = ages[payments["person"].to_numpy()] >= 16
    # elderly members paid into the head's card: a per-person choice, not per row
    per_person_draw = rng.random(len(people))
    elder_to_head = (ages[payments["person"].to_numpy()] >= 80) & (
        per_person_draw[payments["person"].to_numpy()] < conf["elder_head_account_share"]
    )
    payee = np.where(
        own_card & ~elder_to_head,
        payments["person"].to_numpy(),
        heads[payments["person"].to_numpy()],
    )
    by_household = (
        payments["program_code"].isin(["NY01", "NY02", "LY02", "LY03", "ZJ01", "XC01"]).to_numpy()
    )
    payee = np.where(by_household, heads[payments["person"].to_numpy()], payee)
    payments["payee_person"] = payee
    payments["account_no"] = county.account_of_person[payee]
    county.used_person_accounts.update(np.unique(payee).tolist())
    payments["id_number"] = None
    payments["name"] = None
    county.payments = payments
    _tekun_nursing_homes(county)


def _yearly_rows(
    county: County, conf: dict, poor_household: np.ndarray, ages: np.ndarray, poor: np.ndarray
) -> pd.DataFrame:
    """Farmland (yearly, per household), education (per semester), housing and industry."""
    rng = county.rng
    year = county.year
    households = county.population.households
    heads = households["head"].to_numpy()
    people = county.people
    alive = people["death_date"].isna().to_numpy()
    frames = []
    # area-based yearly programs, paid to the head: farmland (all farming households), grain
    # (those who actually grow grain), public-welfare forest and returned farmland
    farm = np.flatnonzero(
        (rng.random(len(households)) < conf["farmland_household_rate"]) & alive[heads]
    )
    farm_area = np.round(rng.gamma(2.2, 1.6, len(farm)) + 0.3, 2)
    grain = rng.random(len(farm)) < conf["grain_subsidy_share"]
    forest = np.flatnonzero(
        (rng.random(len(households)) < conf["forest_household_rate"]) & alive[heads]
    )
    returned = np.flatnonzero(
        (rng.random(len(households)) < conf["returned_farmland_rate"]) & alive[heads]
    )
    area_programs = (
        ("NY01", farm, farm_area, f"{year}-05-10", 45),
        ("NY02", farm[grain], farm_area[grain], f"{year}-08-20", 40),
        ("LY02", forest, np.round(rng.gamma(2.0, 8.0, len(forest)) + 1.0, 1), f"{year}-11-01", 50),
        (
            "LY03",
            returned,
            np.round(rng.gamma(1.5, 1.5, len(returned)) + 0.5, 1),
            f"{year}-07-01",
            60,
        ),
    )
    for code, chosen, area, first_day, window in area_programs:
        rate = PROGRAMS[PROGRAM_INDEX[code]][3]
        dates = np.datetime64(first_day) + rng.integers(0, window, len(chosen)).astype(
            "timedelta64[D]"
        )
        frames.append(
            pd.DataFrame(
                {
                    "person": heads[chosen],
                    "program_code": code,
                    "amount": np.round(area * rate, 2),
                    "pay_date": dates,
                    "covered_period": str(year),
                    "quantity": area,
                    "unit_price": rate,
                    "status": "成功",
                }
            )
        )
    # education: students 15-21 in poor households, spring and autumn semesters
    students = np.flatnonzero(
        poor & (ages >= 15) & (ages < 22) & alive & (rng.random(len(people)) < 0.8)
    )
    for term, month in (("春季学期", 4), ("秋季学期", 10)):
        dates = np.datetime64(f"{year}-{month:02d}-05") + rng.integers(0, 20, len(students)).astype(
            "timedelta64[D]"
        )
        frames.append(
            pd.DataFrame(
                {
                    "person": students,
                    "program_code": "JY01",
                    "amount": 1500.0,
                    "pay_date": dates,
                    "covered_period": f"{year}{term}",
                    "quantity": np.nan,
                    "unit_price": np.nan,
                    "status": "成功",
                }
            )
        )
    # housing (one-off, by household, C级 15000 / D级 30000)
    housing = np.flatnonzero(
        poor_household & (rng.random(len(households)) < conf["housing_rate"]) & alive[heads]
    )
    level_d = rng.random(len(housing)) < 0.4
    dates = np.datetime64(f"{year}-03-01") + rng.integers(0, 270, len(housing)).astype(
        "timedelta64[D]"
    )
    frames.append(
        pd.DataFrame(
            {
                "person": heads[housing],
                "program_code": "ZJ01",
                "amount": np.where(level_d, 30000.0, 15000.0),
                "pay_date": dates,
                "covered_period": str(year),
                "quantity": 1.0,
                "unit_price": np.nan,
                "status": "成功",
            }
        )
    )
    # industry incentives: head count x unit price, capped at 5000
    industry = np.flatnonzero(
        poor_household & (rng.random(len(households)) < conf["industry_rate"]) & alive[heads]
    )
    unit_price = rng.choice([300.0, 500.0, 800.0, 1000.0], len(industry))
    quantity = rng.integers(2, 10, len(industry)).astype(float)
    dates = np.datetime64(f"{year}-06-01") + rng.integers(0, 150, len(industry)).astype(
        "timedelta64[D]"
    )
    frames.append(
        pd.DataFrame(
            {
                "person": heads[industry],
                "program_code": "XC01",
                "amount": np.minimum(5000.0, unit_price * quantity),
                "pay_date": dates,
                "covered_period": str(year),
                "quantity": quantity,
                "unit_price": unit_price,
                "status": "成功",
            }
        )
    )
    return pd.concat(frames, ignore_index=True)


# programs with a means or status test (programs.toml ``means_tested``): 低保, 特困, 困难残疾人
# 生活补贴, 护林员, 公益岗, 雨露计划, 危房改造, 产业奖补
TARGETED_PROGRAMS = ("MZ01", "MZ02", "CL01", "LY01", "RS01", "JY01", "ZJ01", "XC01")


NURSING_HOME_KIND = "12"


def _tekun_nursing_homes(county: County) -> None:
    """特困 recipients living in a nursing home are paid into its collective account."""
    rng = county.rng
    villages = county.villages
    towns = list(villages["town_name"].unique())
    homes = [f"{t}敬老院" for t in towns]
    extra = ["衡阳县社会福利院", "衡阳县光荣院", "衡阳县第二社会福利院"]
    while len(homes) < int(county.settings["lookalikes"]["nursing_home_account"]):
        homes.append(
            extra[len(homes) % len(extra)]
            if len(homes) - len(towns) < len(extra)
            else f"衡阳县第{len(homes)}福利院"
        )
    codes = make_credit_codes(rng, len(homes), county.settings["county_code"], NURSING_HOME_KIND)
    accounts, banks = make_account_numbers(rng, len(homes))
    county.nursing_homes = pd.DataFrame(
        {"name": homes, "credit_code": codes, "account_no": accounts, "bank": banks}
    )
    payments = county.payments
    tekun_rows = payments["program_code"].to_numpy() == "MZ02"
    tekun_people = np.unique(payments.loc[tekun_rows, "person"].to_numpy())
    in_home = tekun_people[
        rng.random(len(tekun_people)) < county.settings["programs"]["nursing_home_share"]
    ]
    # each town's residents go to the town home; the county homes take a share of everyone
    town_index = {t: i for i, t in enumerate(towns)}
    town_of_person = villages["town_name"].to_numpy()[county.people["village"].to_numpy()[in_home]]
    home_of_person = np.array([town_index[t] for t in town_of_person], dtype=int)
    # the county-level homes take an equal share of everyone
    per_home = len(in_home) // len(homes)
    order = rng.permutation(len(in_home))
    for k in range(len(towns), len(homes)):
        home_of_person[order[(k - len(towns)) * per_home : (k - len(towns) + 1) * per_home]] = k
    # every home houses at least two of them (a collective account "for many residents")
    spread = rng.permutation(len(in_home))[: 2 * len(homes)]
    home_of_person[spread] = np.arange(len(spread)) % len(homes)
    lookup = dict(zip(in_home.tolist(), home_of_person.tolist(), strict=True))
    mask = tekun_rows & np.isin(payments["person"].to_numpy(), in_home)
    homes_for_rows = np.array([lookup[p] for p in payments.loc[mask, "person"]], dtype=int)
    payments.loc[mask, "account_no"] = county.nursing_homes["account_no"].to_numpy()[homes_for_rows]
    for i, home in county.nursing_homes.iterrows():
        county.extra_accounts.append(
            {
                "account_no": home["account_no"],
                "holder_id_number": home["credit_code"],
                "holder_name": home["name"],
                "bank": home["bank"],
                "open_date": pd.Timestamp("2016-03-01"),
                "phone": "",
            }
        )
        residents = sorted(p for p, h in lookup.items() if h == i)
        if len(residents) >= 2:
            county.add_lookalike(
                "nursing_home_account",
                "account",
                str(home["account_no"]),
                None,
                [str(home["credit_code"])] + [county.id_of(p) for p in residents[:20]],
                f"{home['name']}集体账户代收{len(residents)}名集中供养特困人员的供养金",
            )


def _build_vehicles(county: County) -> None:
    rng = county.rng
    households = county.population.households
    owners_h = np.flatnonzero(
        rng.random(len(households)) < county.settings["population"]["vehicle_share"]
    )
    owners = households["head"].to_numpy()[owners_h]
    # needy households passed the asset check: no car
    owners = owners[~county.needy_people()[owners]]
    county.vehicles = _vehicle_rows(rng, owners, county)


def _vehicle_rows(
    rng: np.random.Generator,
    owners: np.ndarray,
    county: County,
    kinds: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    kinds_all = np.array(
        ["小型普通客车", "小型轿车", "普通二轮摩托车", "轻型普通货车", "三轮汽车"], dtype=object
    )
    pick = rng.choice(len(kinds_all), len(owners), p=[0.3, 0.2, 0.3, 0.12, 0.08])
    vehicle_type = (
        kinds_all[pick]
        if kinds is None
        else np.array([kinds[i % len(kinds)] for i in range(len(owners))], dtype=object)
    )
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    # unique plates: a serial scrambled by a multiplier coprime to the 240,000 plate space
    serial = (np.arange(county.plate_serial, county.plate_serial + len(owners)) * 7919) % 240_000
    county.plate_serial += len(owners)
    plates = [f"湘D{letters[int(v) // 10000]}{int(v) % 10000:04d}" for v in serial]
    register = np.datetime64("2010-01-01") + rng.integers(0, 5000, len(owners)).astype(
        "timedelta64[D]"
    )
    return pd.DataFrame(
        {
            "id_number": county.id_array[owners],
            "plate": plates,
            "vehicle_type": vehicle_type,
            "register_date": register,
            "use_type": "非营运",
            "deregistered_date": pd.NaT,
            "person": owners,
        }
    )


def _build_deaths_table(county: County) -> None:
    """Deaths of the year (from the register) plus earlier deaths; several sources."""
    rng = county.rng
    people = county.people
    dead = people[people["death_date"].notna()]
    sources = np.array(["民政火化信息", "公安户籍注销", "卫健死亡医学证明"], dtype=object)
    frame = pd.DataFrame(
        {
            "id_number": dead["id_number"].to_numpy(),
            "name": dead["name"].to_numpy(),
            "death_date": dead["death_date"].to_numpy(),
            "source": sources[rng.integers(0, 3, len(dead))],
        }
    )
    # earlier deaths of people already removed from the register
    earlier_count = int(len(people) * county.settings["population"]["deaths_per_year"])
    from riskmodel.synth.identity import make_id_numbers

    ages = rng.uniform(60, 98, earlier_count)
    dates = np.datetime64(f"{county.year - 2}-01-01") + rng.integers(0, 730, earlier_count).astype(
        "timedelta64[D]"
    )
    births = dates - np.round(ages * 365.25).astype("timedelta64[D]")
    is_male = rng.random(earlier_count) < 0.5
    region = np.full(earlier_count, int(county.settings["county_code"]), dtype=np.int64)
    earlier_ids, _ = make_id_numbers(rng, region, births, is_male, county.taken)
    surnames, p = name_data.surname_table()
    earlier_names = surnames[rng.choice(len(surnames), earlier_count, p=p)] + name_data.given_names(
        rng, is_male
    )
    earlier = pd.DataFrame(
        {
            "id_number": earlier_ids,
            "name": earlier_names,
            "death_date": dates,
            "source": sources[rng.integers(0, 3, earlier_count)],
        }
    )
    county.deaths = (
        pd.concat([frame, earlier], ignore_index=True)
        .sort_values("death_date", kind="stable")
        .reset_index(drop=True)
    )


def _finalise_payments(county: County) -> None:
    """Merge planted rows, fill IDs and names, order, number and attach village columns."""
    payments = pd.concat([county.payments, *county.extra_payments], ignore_index=True)
    people = county.people
    person = payments["person"].to_numpy()
    has_person = person >= 0
    ids = payments["id_number"].to_numpy(dtype=object, copy=True)
    names = payments["name"].to_numpy(dtype=object, copy=True)
    missing_id = pd.isna(ids) & has_person
    ids[missing_id] = people["id_number"].to_numpy()[person[missing_id]]
    missing_name = pd.isna(names) & has_person
    names[missing_name] = people["name"].to_numpy()[person[missing_name]]
    payments["id_number"] = ids
    payments["name"] = names
    village = payments["village"].to_numpy() if "village" in payments else None
    village = np.where(
        has_person,
        people["village"].to_numpy()[np.maximum(person, 0)],
        payments["village"].fillna(-1).to_numpy() if village is not None else -1,
    )
    payments["village"] = village.astype(int)
    household_ids = people["household_id"].to_numpy()[np.maximum(person, 0)]
    payments["household_id"] = np.where(has_person, household_ids, "")
    payments = payments.sort_values(
        ["pay_date", "village", "program_code", "person"], kind="stable"
    ).reset_index(drop=True)
    payments["payment_id"] = (
        [f"ZF{county.year % 100:02d}{i:09d}" for i in range(1, len(payments) + 1)]
        if len(payments) < 200_000
        else _fast_serials(county.year, len(payments))
    )
    villages = county.villages
    payments["village_code"] = villages["village_code"].to_numpy()[payments["village"].to_numpy()]
    payments["village_name"] = villages["village_name"].to_numpy()[payments["village"].to_numpy()]
    payments["operator"] = county.operators_by_village[payments["village"].to_numpy()]
    codes = payments["program_code"].to_numpy()
    program_names = {p[0]: p[1] for p in PROGRAMS}
    departments = {p[0]: p[2] for p in PROGRAMS}
    payments["program_name"] = pd.Series(codes).map(program_names).to_numpy()
    payments["department"] = pd.Series(codes).map(departments).to_numpy()
    month = pd.DatetimeIndex(payments["pay_date"]).month.to_numpy()
    payments["batch_id"] = (
        pd.Series(codes)
        + f"{county.year}"
        + pd.Series(month).map("{:02d}".format)
        + "-"
        + pd.Series(payments["village_code"].to_numpy()).str[6:9]
    ).to_numpy()
    county.payments = payments


def _fast_serials(year: int, count: int) -> np.ndarray:
    from riskmodel.synth.identity import _digits, _to_strings

    digits = _digits(np.arange(1, count + 1), 9) + 48
    prefix = np.frombuffer(f"ZF{year % 100:02d}".encode(), dtype=np.uint8)
    return _to_strings(np.concatenate([np.tile(prefix, (count, 1)), digits], axis=1))
