"""Village ledgers (村级财务凭证): wages, running costs, works, grants and income."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from riskmodel.synth.identity import make_credit_codes

if TYPE_CHECKING:
    from riskmodel.synth.county import County

# (summary, category, account_code, direction, median yuan, sigma, payee kind, weight)
# payee kinds: vendor, utility, villager, cadre, company, treasury, bank, none
LEDGER_ITEMS: tuple[tuple[str, str, str, str, float, float, str, float], ...] = (
    ("购办公用品", "管理费用", "541", "支出", 320.0, 0.8, "vendor", 0.13),
    ("付电费", "管理费用", "541", "支出", 460.0, 0.6, "utility", 0.08),
    ("付网络通讯费", "管理费用", "541", "支出", 150.0, 0.4, "telecom", 0.05),
    ("公务接待费", "管理费用", "541", "支出", 560.0, 0.7, "vendor", 0.05),
    ("差旅费报销", "管理费用", "541", "支出", 180.0, 0.6, "cadre", 0.06),
    ("误工补贴", "其他支出", "551", "支出", 260.0, 0.6, "villager", 0.08),
    ("困难群众慰问金", "其他支出", "551", "支出", 500.0, 0.5, "villager", 0.05),
    ("村道维修材料款", "在建工程", "154", "支出", 4200.0, 0.9, "company", 0.05),
    ("水渠清淤劳务费", "在建工程", "154", "支出", 2600.0, 0.8, "villager", 0.04),
    ("环境卫生保洁费", "管理费用", "541", "支出", 1350.0, 0.5, "villager", 0.05),
    ("党建活动经费", "管理费用", "541", "支出", 780.0, 0.6, "vendor", 0.04),
    ("村级组织运转经费", "补助收入", "522", "收入", 30000.0, 0.3, "treasury", 0.04),
    ("一事一议财政奖补资金", "一事一议资金", "231", "收入", 50000.0, 0.5, "treasury", 0.015),
    ("集体山林发包收入", "发包及上交收入", "511", "收入", 3200.0, 0.8, "villager", 0.03),
    ("银行存款利息", "其他收入", "531", "收入", 36.0, 0.7, "bank", 0.04),
    ("村集体经济分红收入", "投资收益", "561", "收入", 8600.0, 0.6, "company", 0.015),
)
UTILITY_NAME = "国网湖南省电力有限公司衡阳县供电分公司"
TELECOM = "中国电信股份有限公司衡阳县分公司"
VENDORS = (
    "西渡镇文化用品店",
    "衡阳县新华书店",
    "便民超市",
    "农家乐饭店",
    "五金建材店",
    "打印复印店",
    "农资店",
    "衡阳县红星商店",
)
TREASURY = ("衡阳县财政局", "乡镇财政所")
BANK = "衡阳县农村商业银行"
SCALE_WAGES = (1650.0, 1860.0, 2050.0, 2280.0, 2460.0, 2700.0)


def build_ledger(county: County) -> None:
    """Baseline (honest) vouchers for every village; planted schemes edit them later."""
    rng = county.rng
    conf = county.settings["ledger"]
    year = county.year
    size = county.settings["scales"][county.scale]
    villages = county.villages
    people = county.people
    cadres = county.cadres
    frames = []
    weights = np.array([item[7] for item in LEDGER_ITEMS])
    weights = weights / weights.sum()
    names = county.name_array
    ids = county.id_array
    village_of_person = people["village"].to_numpy()
    # residents of each village for villager payees
    order = np.argsort(village_of_person, kind="stable")
    bounds = np.searchsorted(village_of_person[order], np.arange(len(villages) + 1))
    companies_pool = county.vendor_companies
    utility_code = make_credit_codes(np.random.default_rng(0), 1, county.settings["county_code"])[0]
    for village in range(len(villages)):
        village_cadres = cadres[cadres["village"] == village]
        cadre_people = village_cadres["person"].to_numpy()
        positions = village_cadres["position"].to_numpy()
        secretary = cadre_people[np.char.find(positions.astype(str), "书记") >= 0]
        bookkeeper = cadre_people[np.isin(positions, ["村会计", "报账员"])]
        approver = names[secretary[0]] if len(secretary) else names[cadre_people[0]]
        handlers = [names[p] for p in (bookkeeper if len(bookkeeper) else cadre_people[:1])]
        other_cadres = [p for p in cadre_people if names[p] not in handlers]
        # wages: every cadre monthly, a fixed non-round amount per cadre
        wage_rows = []
        for person in cadre_people:
            wage = (
                SCALE_WAGES[int(rng.integers(0, len(SCALE_WAGES)))] + float(rng.integers(0, 40)) * 5
            )
            for month in range(1, 13):
                wage_rows.append(
                    (
                        month,
                        int(rng.integers(5, 12)),
                        "发放村干部基本报酬",
                        "应付工资",
                        "211",
                        "支出",
                        wage,
                        "转账",
                        names[person],
                        ids[person],
                        county.account(int(person)),
                    )
                )
        count = max(20, int(rng.poisson(size["vouchers_per_village"])) - len(wage_rows))
        item = rng.choice(len(LEDGER_ITEMS), count, p=weights)
        median = np.array([LEDGER_ITEMS[i][4] for i in item])
        sigma = np.array([LEDGER_ITEMS[i][5] for i in item])
        amount = np.round(median * np.exp(rng.normal(0, sigma)), 2)
        # honest round amounts: grants, condolence money, some purchases
        kinds = [LEDGER_ITEMS[i][6] for i in item]
        round_legit = (rng.random(count) < conf["legit_round_share"]) | np.isin(item, [6, 11, 12])
        amount = np.where(round_legit, np.maximum(100.0, np.round(amount, -2)), amount)
        month = rng.integers(1, 13, count)
        day = rng.integers(1, 29, count)
        rows = list(wage_rows)
        villager_range = order[bounds[village] : bounds[village + 1]]
        # villager payees are not the village's own cadres: a cadre paid for labour he approved
        # or handled himself is the self_payment scheme, not honest background
        villager_range = villager_range[~np.isin(villager_range, cadre_people)]
        for k in range(count):
            spec = LEDGER_ITEMS[item[k]]
            kind = kinds[k]
            method = "转账"
            if kind == "villager":
                person = int(villager_range[int(rng.integers(0, len(villager_range)))])
                payee, payee_id, account = names[person], ids[person], county.account(person)
            elif kind == "cadre" and other_cadres:
                person = int(other_cadres[int(rng.integers(0, len(other_cadres)))])
                payee, payee_id, account = names[person], ids[person], county.account(person)
            elif kind == "utility":
                payee, payee_id, account = UTILITY_NAME, utility_code, ""
            elif kind == "telecom":
                payee, payee_id, account = TELECOM, "", ""
            elif kind == "treasury":
                payee, payee_id, account = TREASURY[int(rng.integers(0, 2))], "", ""
            elif kind == "bank":
                payee, payee_id, account = BANK, "", ""
            elif kind == "company" and companies_pool is not None and len(companies_pool):
                company = companies_pool.iloc[int(rng.integers(0, len(companies_pool)))]
                payee, payee_id, account = (
                    company["name"],
                    company["credit_code"],
                    company["account_no"],
                )
            else:
                payee, payee_id, account = VENDORS[int(rng.integers(0, len(VENDORS)))], "", ""
            if (
                spec[3] == "支出"
                and amount[k] < conf["cash_limit"]
                and rng.random() < conf["legit_cash_share"]
            ):
                method, account = "现金", ""
            summary = spec[0]
            m, d = int(month[k]), int(day[k])
            if rng.random() < conf["late_booking_share"] and m < 11:
                summary = f"补记{m}月{summary}"
                m, d = m + 1 + int(rng.integers(0, 2)), int(rng.integers(1, 29))
            rows.append(
                (
                    m,
                    d,
                    summary,
                    spec[1],
                    spec[2],
                    spec[3],
                    float(amount[k]),
                    method,
                    payee,
                    payee_id,
                    account,
                )
            )
        frame = pd.DataFrame(
            rows,
            columns=[
                "month",
                "day",
                "summary",
                "category",
                "account_code",
                "direction",
                "amount",
                "method",
                "counterparty_name",
                "counterparty_id",
                "counterparty_account",
            ],
        )
        frame["village"] = village
        frame["handler"] = [handlers[int(i)] for i in rng.integers(0, len(handlers), len(frame))]
        frame["approver"] = approver
        frames.append(frame)
    ledger = pd.concat(frames, ignore_index=True)
    ledger["date"] = pd.to_datetime({"year": year, "month": ledger["month"], "day": ledger["day"]})
    ledger["planted"] = ""
    county.ledger = ledger


def finalise_ledger(county: County) -> None:
    """Order by village and date, number vouchers restarting per village and month."""
    if county.pending_ledger_rows:
        frame = pd.DataFrame(county.pending_ledger_rows)
        county.ledger = pd.concat([county.ledger, frame], ignore_index=True)
        county.pending_ledger_rows = []
    ledger = county.ledger.sort_values(["village", "date", "direction"], kind="stable")
    ledger = ledger.reset_index(drop=True)
    month = ledger["date"].dt.month
    number = ledger.groupby([ledger["village"], month]).cumcount() + 1
    ledger["voucher_id"] = "记-" + number.map("{:03d}".format)
    villages = county.villages
    ledger["village_code"] = villages["village_code"].to_numpy()[ledger["village"].to_numpy()]
    ledger["attachment_count"] = county.rng.integers(0, 5, len(ledger))
    county.ledger = ledger


def add_rows(county: County, rows: list[dict]) -> None:
    """Queue planted vouchers (dicts with the ledger's columns, ``date`` a Timestamp)."""
    county.pending_ledger_rows.extend(rows)
