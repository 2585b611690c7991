"""Village cadres, public employees and the relatives they declared."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskmodel.synth import names as name_data
from riskmodel.synth.identity import make_id_numbers
from riskmodel.synth.population import Population

# (position, category, probability that the village has the post)
CADRE_POSTS: tuple[tuple[str, str, float], ...] = (
    ("党支部书记", "村干部", 1.0),
    ("村委会主任", "村干部", 0.55),  # otherwise the secretary holds both posts (一肩挑)
    ("村会计", "村干部", 0.6),
    ("报账员", "村干部", 0.4),
    ("村务监督委员会主任", "村务监督委员", 1.0),
    ("妇女主任", "村干部", 0.5),
)
# relation of a household member to an official, keyed by (official's relation, member's relation)
KIN_IN_HOUSEHOLD: dict[tuple[str, str], str] = {
    ("户主", "配偶"): "配偶",
    ("户主", "子"): "子女",
    ("户主", "女"): "子女",
    ("户主", "父"): "父母",
    ("户主", "母"): "父母",
    ("户主", "儿媳"): "儿媳",
    ("户主", "女婿"): "女婿",
    ("户主", "孙子"): "孙子女",
    ("户主", "孙女"): "孙子女",
    ("户主", "兄弟姐妹"): "兄弟姐妹",
    ("配偶", "户主"): "配偶",
    ("配偶", "子"): "子女",
    ("配偶", "女"): "子女",
    ("配偶", "儿媳"): "儿媳",
    ("配偶", "女婿"): "女婿",
    ("配偶", "孙子"): "孙子女",
    ("配偶", "孙女"): "孙子女",
    ("配偶", "父"): "公婆",
    ("配偶", "母"): "公婆",
    ("子", "户主"): "父母",
    ("子", "配偶"): "父母",
    ("子", "儿媳"): "配偶",
    ("子", "孙子"): "子女",
    ("子", "孙女"): "子女",
    ("子", "女"): "兄弟姐妹",
    ("子", "子"): "兄弟姐妹",
    ("女", "户主"): "父母",
    ("女", "配偶"): "父母",
    ("女", "女婿"): "配偶",
    ("女", "孙子"): "子女",
    ("女", "孙女"): "子女",
    ("女", "子"): "兄弟姐妹",
    ("女", "女"): "兄弟姐妹",
    ("儿媳", "子"): "配偶",
    ("儿媳", "户主"): "公婆",
    ("儿媳", "配偶"): "公婆",
    ("儿媳", "孙子"): "子女",
    ("儿媳", "孙女"): "子女",
    ("女婿", "女"): "配偶",
    ("女婿", "户主"): "岳父母",
    ("女婿", "配偶"): "岳父母",
    ("女婿", "孙子"): "子女",
    ("女婿", "孙女"): "子女",
}
EMPLOYEE_ORGS: tuple[tuple[str, str, str, float], ...] = (
    # (org pattern, category, position, weight) - {town} is replaced
    ("{town}人民政府", "公务员", "科员", 0.14),
    ("{town}人民政府", "公务员", "副镇长", 0.02),
    ("{town}社会事务综合服务中心", "事业人员", "民政经办员", 0.03),
    ("{town}财政所", "事业人员", "会计", 0.03),
    ("{town}农业综合服务中心", "事业人员", "农技员", 0.05),
    ("{town}中心学校", "教师", "教师", 0.38),
    ("{town}卫生院", "事业人员", "医生", 0.12),
    ("衡阳县民政局", "公务员", "科员", 0.05),
    ("衡阳县财政局", "公务员", "科员", 0.04),
    ("衡阳县第一中学", "教师", "教师", 0.08),
    ("衡阳县人民医院", "事业人员", "护士", 0.06),
)


def build_cadres(rng: np.random.Generator, population: Population) -> pd.DataFrame:
    """3-6 cadres per village, residents aged 30-62, at most one per household."""
    people = population.people
    candidates = people[
        (people["age"] >= 30)
        & (people["age"] <= 62)
        & people["relation"].isin(["户主", "配偶", "子"])
        & people["death_date"].isna()
    ]
    order = rng.permutation(len(candidates))
    shuffled = candidates.iloc[order].drop_duplicates("household")
    gender = people["gender"].to_numpy()
    rows = []
    for village, group in shuffled.groupby("village", sort=True):
        pool = list(group.index)
        used: set[int] = set()

        def take(prefer: str | None, pool=pool, used=used) -> int | None:
            ranked = [i for i in pool if gender[i] == prefer] + pool if prefer else pool
            for i in ranked:
                if i not in used:
                    used.add(i)
                    return i
            return None

        secretary = "党支部书记、村委会主任" if rng.random() < 0.45 else "党支部书记"
        posts = [(secretary, "村干部", "男")]
        if secretary == "党支部书记":
            posts.append(("村委会主任", "村干部", "男"))
        posts.append(("村会计" if rng.random() < 0.6 else "报账员", "村干部", None))
        posts.append(("村务监督委员会主任", "村务监督委员", None))
        if rng.random() < 0.5:
            posts.append(("妇女主任", "村干部", "女"))
        if rng.random() < 0.3:
            posts.append(("村务监督委员", "村务监督委员", None))
        for position, category, prefer in posts:
            person = take(prefer)
            if person is not None:
                rows.append(
                    {
                        "person": person,
                        "village": int(village),
                        "position": position,
                        "category": category,
                    }
                )
    cadres = pd.DataFrame(rows)
    starts = np.where(rng.random(len(cadres)) < 0.8, "2021-03-", "2018-01-")
    day = rng.integers(5, 28, len(cadres))
    cadres["start_date"] = pd.to_datetime([f"{s}{d:02d}" for s, d in zip(starts, day, strict=True)])
    cadres["end_date"] = pd.NaT
    cadres["org"] = [
        f"{population.villages.at[v, 'village_name']}民委员会" for v in cadres["village"]
    ]
    return cadres


def build_former_cadres(
    rng: np.random.Generator, population: Population, cadres: pd.DataFrame, share: float
) -> pd.DataFrame:
    """Cadres of the previous term (2018-2021) in a share of villages: posts have end dates."""
    people = population.people
    current = set(cadres["person"].tolist())
    ages = people["age"].to_numpy()
    village_of = people["village"].to_numpy()
    alive = people["death_date"].isna().to_numpy()
    rows = []
    for village in np.flatnonzero(rng.random(len(population.villages)) < share):
        pool = np.flatnonzero((village_of == village) & (ages >= 45) & (ages <= 75) & alive)
        pool = [int(p) for p in pool if int(p) not in current]
        if not pool:
            continue
        person = pool[int(rng.integers(0, len(pool)))]
        position = ("村委会主任", "村会计", "党支部书记")[int(rng.integers(0, 3))]
        rows.append(
            {
                "person": person,
                "village": int(village),
                "position": position,
                "category": "村干部",
                "start_date": pd.Timestamp(
                    f"2017-{int(rng.integers(1, 4)):02d}-{int(rng.integers(5, 28)):02d}"
                ),
                "end_date": pd.Timestamp(f"2021-03-{int(rng.integers(5, 28)):02d}"),
                "org": f"{population.villages.at[int(village), 'village_name']}民委员会",
            }
        )
    columns = ["person", "village", "position", "category", "start_date", "end_date", "org"]
    if not rows:  # no village drew a former cadre (a tiny county): typed like the others
        return cadres[columns].iloc[:0].copy()
    return pd.DataFrame(rows, columns=columns)


def build_employees(
    rng: np.random.Generator,
    population: Population,
    settings: dict,
    taken: set[int],
    cadre_people: set[int],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Public employees; most are residents, some live outside the register.

    Returns (employees, outsiders) where outsiders are extra people not in the register.
    """
    conf = settings["population"]
    people = population.people
    villages = population.villages
    working = people[
        (people["age"] >= 23) & (people["age"] <= 59) & ~people.index.isin(list(cadre_people))
    ]
    count = round(len(working) * conf["public_employee_share"])
    chosen = rng.choice(working.index.to_numpy(), count, replace=False)
    chosen.sort()
    weights = np.array([o[3] for o in EMPLOYEE_ORGS])
    org_pick = rng.choice(len(EMPLOYEE_ORGS), count, p=weights / weights.sum())
    town = villages["town_name"].to_numpy()[people.loc[chosen, "village"].to_numpy()]
    employees = pd.DataFrame(
        {
            "person": chosen,
            "village": -1,
            "org": [
                EMPLOYEE_ORGS[o][0].format(town=t) for o, t in zip(org_pick, town, strict=True)
            ],
            "category": [EMPLOYEE_ORGS[o][1] for o in org_pick],
            "position": [EMPLOYEE_ORGS[o][2] for o in org_pick],
        }
    )
    years = rng.integers(1995, year_of(settings), count)
    employees["start_date"] = pd.to_datetime(
        [f"{y}-{m:02d}-01" for y, m in zip(years, rng.integers(1, 13, count), strict=True)]
    )
    employees["end_date"] = pd.NaT
    # outsiders: employees living in the county seat, not in the village register
    outside_count = round(count * conf["public_employee_outside_share"])
    ages = rng.uniform(24, 58, outside_count)
    is_male = rng.random(outside_count) < 0.5
    births = np.datetime64(f"{year_of(settings)}-01-01") - np.round(ages * 365.25).astype(
        "timedelta64[D]"
    )
    region = np.full(outside_count, int(settings["county_code"]), dtype=np.int64)
    ids_out, _ = make_id_numbers(rng, region, births, is_male, taken)
    surnames, p = name_data.surname_table()
    names_out = surnames[rng.choice(len(surnames), outside_count, p=p)] + name_data.given_names(
        rng, is_male
    )
    towns = villages["town_name"].unique()
    org_pick = rng.choice(len(EMPLOYEE_ORGS), outside_count, p=weights / weights.sum())
    outsiders = pd.DataFrame(
        {
            "id_number": ids_out,
            "name": names_out,
            "gender": np.where(is_male, "男", "女"),
            "birth_date": births,
            "org": [
                EMPLOYEE_ORGS[o][0].format(town=towns[int(rng.integers(0, len(towns)))])
                for o in org_pick
            ],
            "category": [EMPLOYEE_ORGS[o][1] for o in org_pick],
            "position": [EMPLOYEE_ORGS[o][2] for o in org_pick],
            "start_date": pd.to_datetime(
                [f"{y}-09-01" for y in rng.integers(2000, 2023, outside_count)]
            ),
        }
    )
    return employees, outsiders


def year_of(settings: dict) -> int:
    return int(settings["year"])


def household_kin(population: Population, person: int) -> list[tuple[int, str]]:
    """Household members of ``person`` with their relation to ``person`` (as declared)."""
    people = population.people
    household = people.at[person, "household"]
    start = int(population.households.at[household, "first_member"])
    size = int(population.households.at[household, "size"])
    own = people.at[person, "relation"]
    result = []
    for member in range(start, start + size):
        if member == person:
            continue
        relation = KIN_IN_HOUSEHOLD.get((own, people.at[member, "relation"]))
        if relation:
            result.append((member, relation))
    return result


class SiblingIndex:
    """Heads of households grouped by (village, surname), to find plausible siblings fast."""

    def __init__(self, population: Population) -> None:
        people = population.people
        heads = population.households["head"].to_numpy()
        village = people["village"].to_numpy()[heads]
        surname = people["surname"].to_numpy()[heads]
        codes, uniques = pd.factorize(pd.Series(surname))
        self._surname_code = dict(zip(uniques, range(len(uniques)), strict=True))
        key = village.astype(np.int64) * 1000 + codes
        order = np.argsort(key, kind="stable")
        self._keys = key[order]
        self._heads = heads[order]
        self._age = people["age"].to_numpy()
        self._household = people["household"].to_numpy()
        self._village = people["village"].to_numpy()
        self._surname = people["surname"].to_numpy()

    def find(self, person: int, rng: np.random.Generator, count: int) -> list[int]:
        """Heads of other households of the same village, same surname, age within 12 years."""
        code = self._surname_code.get(self._surname[person])
        if code is None:
            return []
        key = int(self._village[person]) * 1000 + code
        low, high = np.searchsorted(self._keys, [key, key + 1])
        heads = self._heads[low:high]
        heads = heads[
            (self._household[heads] != self._household[person])
            & (np.abs(self._age[heads] - self._age[person]) <= 12)
        ]
        if len(heads) == 0:
            return []
        picked = rng.choice(heads, min(count, len(heads)), replace=False)
        return sorted(int(i) for i in picked)
