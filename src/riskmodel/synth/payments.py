"""Subsidy programs, one-card accounts and a year of baseline (honest) payments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# (code, name, department, standard, period, unit)
PROGRAMS: tuple[tuple[str, str, str, float, str, str], ...] = (
    ("MZ01", "农村最低生活保障金", "衡阳县民政局", 480.0, "月", "人"),
    ("MZ02", "特困人员救助供养金", "衡阳县民政局", 760.0, "月", "人"),
    ("CL01", "困难残疾人生活补贴", "衡阳县残疾人联合会", 70.0, "月", "人"),
    ("CL02", "重度残疾人护理补贴", "衡阳县残疾人联合会", 70.0, "月", "人"),
    ("MZ03", "高龄津贴(80-89岁)", "衡阳县民政局", 50.0, "月", "人"),
    ("MZ04", "高龄津贴(90岁以上)", "衡阳县民政局", 100.0, "月", "人"),
    ("LY01", "生态护林员补助", "衡阳县林业局", 2500.0, "季", "人"),
    ("RS01", "乡村公益性岗位补贴", "衡阳县人力资源和社会保障局", 800.0, "月", "人"),
    ("NY01", "耕地地力保护补贴", "衡阳县农业农村局", 105.36, "年", "亩"),
    ("NY02", "实际种粮农民一次性补贴", "衡阳县农业农村局", 13.47, "年", "亩"),
    ("LY02", "生态公益林补偿资金", "衡阳县林业局", 15.5, "年", "亩"),
    ("LY03", "退耕还林补助", "衡阳县林业局", 125.0, "年", "亩"),
    ("JY01", "雨露计划教育资助", "衡阳县乡村振兴局", 1500.0, "学期", "人"),
    ("ZJ01", "农村危房改造补助", "衡阳县住房和城乡建设局", 30000.0, "一次性", "户"),
    ("XC01", "到户产业奖补", "衡阳县乡村振兴局", 5000.0, "一次性", "户"),
)
PROGRAM_INDEX = {p[0]: i for i, p in enumerate(PROGRAMS)}
# programs for poor households: an honest household drawing one passed the asset check
# (核对), so it owns no car and runs no company
NEEDY_PROGRAMS = ("MZ01", "MZ02", "CL01", "JY01", "ZJ01", "XC01")
MONTHLY_DIBAO_LIKE = ("MZ01", "MZ02", "CL01", "CL02", "MZ03", "MZ04", "RS01")
PAYMENT_COLUMNS = (
    "person",
    "id_number",
    "name",
    "program_code",
    "account_no",
    "amount",
    "pay_date",
    "covered_period",
    "quantity",
    "unit_price",
    "status",
    "village",
    "household_id",
)


def programs_table() -> pd.DataFrame:
    """The programs table (补贴项目)."""
    return pd.DataFrame(
        list(PROGRAMS),
        columns=["program_code", "program_name", "department", "standard_amount", "period", "unit"],
    )


@dataclass
class Enrolment:
    """Who is enrolled in which monthly program, and for which months."""

    program: str
    person: np.ndarray
    first_month: np.ndarray
    last_month: np.ndarray
    amount: np.ndarray


def month_rows(
    enrolment: Enrolment,
    pay_day: np.ndarray,
    village_of_person: np.ndarray,
    year: int,
    months: tuple[int, ...] = tuple(range(1, 13)),
) -> pd.DataFrame:
    """Expand an enrolment to one row per paid month (or quarter end for quarterly programs)."""
    month_array = np.array(months)
    first = enrolment.first_month
    last = enrolment.last_month
    # which of the pay months fall within [first, last]
    inside = (month_array[None, :] >= first[:, None]) & (month_array[None, :] <= last[:, None])
    person_index, month_index = np.nonzero(inside)
    month = month_array[month_index]
    person = enrolment.person[person_index]
    village = village_of_person[person]
    day = pay_day[village, PROGRAM_INDEX[enrolment.program], month - 1]
    pay_date = pd.to_datetime(
        {"year": np.full(len(month), year), "month": month, "day": day}
    ).to_numpy()
    if len(months) == 12:
        covered = np.char.add(f"{year}-", np.char.zfill(month.astype(str), 2))
    else:
        covered = np.char.add(f"{year}Q", ((month - 1) // 3 + 1).astype(str))
    return pd.DataFrame(
        {
            "person": person,
            "program_code": enrolment.program,
            "amount": enrolment.amount[person_index],
            "pay_date": pay_date,
            "covered_period": covered.astype(object),
            "quantity": np.nan,
            "unit_price": np.nan,
            "status": "成功",
        }
    )


def last_paid_month(death_date: np.ndarray, pay_days: np.ndarray, year: int) -> np.ndarray:
    """Last month paid for people who die during ``year`` (12 when alive).

    ``pay_days`` is (n, 12): each person's pay day of the program in every month.
    """
    death = pd.DatetimeIndex(death_date)
    died_in_year = np.asarray((~death.isna()) & (death.year == year))
    month = np.where(died_in_year, death.month, 1).astype(int)
    pay_day = pay_days[np.arange(len(month)), month - 1]
    day = np.where(died_in_year, death.day, 0)
    result = np.where(died_in_year, np.where(day <= pay_day, month - 1, month), 12)
    result = np.where(np.asarray((~death.isna()) & (death.year < year)), 0, result)
    return result.astype(int)
