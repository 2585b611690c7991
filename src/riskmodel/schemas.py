"""The input tables of CONTRACT.md §1, declared once as data.

Loaders, validation messages, the synthetic county and the docs all read these
declarations; no table is described anywhere else.

Column kinds
------------
``text``     free text, stripped
``code``     an identifier kept as text (village_code, household_id, payment_id, ...)
``id``       resident ID number (GB 11643-1999), normalised and checked
``party``    a resident ID or a unified social credit code (account holders, payees)
``credit``   unified social credit code (GB 32100-2015)
``account``  bank account / card number, digits kept as text
``amount``   yuan, float; unit suffix （万元） multiplies by 10,000
``date``     any contract spelling or an Excel serial
``ratio``    share as a fraction 0–1 (60, 60 % and 0.6 all mean 0.6)
``number``   a plain number (area, quantity, counts)
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = {"text", "code", "id", "party", "credit", "account", "amount", "date", "ratio", "number"}


@dataclass(frozen=True)
class Column:
    """One canonical column with its Chinese header aliases."""

    name: str
    kind: str = "text"
    aliases: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: unknown kind {self.kind!r}")


@dataclass(frozen=True)
class Table:
    """One input table: its file names, columns, required columns and key."""

    name: str
    chinese_names: tuple[str, ...]
    columns: tuple[Column, ...]
    required: tuple[str | tuple[str, ...], ...] = ()
    """Required columns; a tuple inside means "one of these"."""
    key: tuple[str, ...] = ()
    """Columns that identify a row (exact duplicates of all columns are always quarantined)."""
    is_required_table: bool = False
    description: str = ""
    optional_columns: tuple[str, ...] = field(default=())
    """Columns of CONTRACT's optional list: rules needing them are skipped when absent."""

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _c(name: str, kind: str = "text", *aliases: str, description: str = "") -> Column:
    return Column(name, kind, tuple(aliases), description)


# Aliases shared by a column name in every table that has it (CONTRACT: an alias listed for a
# column in one table holds for the same column in every other table).
SHARED_ALIASES: dict[str, tuple[str, ...]] = {
    "id_number": ("身份证号", "公民身份号码", "证件号码", "身份证号码", "身份证"),
    "name": ("姓名",),
    "village_code": ("村代码", "区划代码", "任职村", "村级代码"),
    "village_name": ("村名", "行政村", "村"),
    "program_code": ("项目代码", "补贴项目代码"),
    "program_name": ("项目名称", "补贴类型", "补贴项目"),
    "account_no": ("账号", "一卡通账号", "社保卡号", "银行账号", "卡号"),
    "amount": ("金额", "发放金额"),
    "pay_date": ("发放日期", "发放时间", "拨付日期", "支付日期"),
    "phone": ("联系电话", "预留手机号", "手机号", "电话"),
    "household_id": ("户编号", "户号"),
    "start_date": ("任职时间", "开工日期"),
    "credit_code": ("统一社会信用代码", "信用代码"),
    "relation": ("与户主关系", "关系"),
    "department": ("主管部门",),
    "project_id": ("项目编号",),
}

TABLES: tuple[Table, ...] = (
    Table(
        "villages",
        ("行政村", "村组信息"),
        (
            _c("village_code", "code"),
            _c("village_name"),
            _c("town_name", "text", "乡镇", "乡镇(街道)", "乡镇（街道）"),
            _c("town_code", "code", "乡镇代码"),
            _c("county", "text", "县(区)", "县（区）", "县"),
        ),
        required=("village_code", "village_name"),
        key=("village_code",),
        description="administrative villages and their towns",
    ),
    Table(
        "residents",
        ("户籍人口", "建档立卡人口", "脱贫人口花名册"),
        (
            _c("id_number", "id"),
            _c("name"),
            _c("gender", "text", "性别"),
            _c("birth_date", "date", "出生日期"),
            _c("household_id", "code"),
            _c("relation"),
            _c("village_code", "code"),
            _c("village_name"),
            _c("household_type", "text", "户类型"),
            _c("phone", "code"),
            _c("disability", "text", "残疾等级"),
            _c("hukou_type", "text", "户口性质"),
            _c("enroll_date", "date", "纳入日期"),
            _c("exit_date", "date", "退出日期"),
            _c("move_in_date", "date", "迁入日期"),
        ),
        required=("id_number", "name", "household_id"),
        key=("id_number",),
        is_required_table=True,
        description="population register / poverty roster: households, members, relations",
        optional_columns=("hukou_type", "enroll_date", "exit_date", "move_in_date"),
    ),
    Table(
        "officials",
        ("公职人员", "村干部花名册", "财政供养人员"),
        (
            _c("id_number", "id"),
            _c("name"),
            _c("org", "text", "工作单位"),
            _c("position", "text", "职务"),
            _c("category", "text", "人员类别"),
            _c("village_code", "code"),
            _c("start_date", "date"),
            _c("end_date", "date", "离任时间"),
            _c("phone", "code"),
            _c("account_no", "account"),
        ),
        required=("id_number", "name", "category"),
        key=("id_number", "position", "start_date"),
        description="public employees and village cadres with posts and terms",
        optional_columns=("phone", "account_no"),
    ),
    Table(
        "relatives",
        ("亲属关系",),
        (
            _c("id_number_a", "id", "本人身份证号", "身份证号A"),
            _c("id_number_b", "id", "亲属身份证号", "身份证号B"),
            _c("relation"),
        ),
        required=("id_number_a", "id_number_b", "relation"),
        key=("id_number_a", "id_number_b", "relation"),
        description="declared relatives",
    ),
    Table(
        "programs",
        ("补贴项目", "资金项目"),
        (
            _c("program_code", "code"),
            _c("program_name"),
            _c("department"),
            _c("standard_amount", "amount", "补贴标准"),
            _c("period", "text", "发放周期"),
            _c("unit", "text", "计发单位"),
        ),
        required=(("program_code", "program_name"),),
        key=("program_code",),
        description="subsidy programs and their standards",
    ),
    Table(
        "payments",
        ("补贴发放明细", "一卡通发放明细", "惠民惠农补贴"),
        (
            _c("payment_id", "code", "流水号"),
            _c("program_code", "code"),
            _c("program_name"),
            _c("id_number", "id"),
            _c("name"),
            _c("account_no", "account"),
            _c("amount", "amount"),
            _c("pay_date", "date"),
            _c("village_code", "code"),
            _c("village_name"),
            _c("operator", "text", "经办人"),
            _c("household_id", "code"),
            _c("covered_period", "text", "所属期间"),
            _c("quantity", "number", "数量", "面积"),
            _c("unit_price", "amount", "单价"),
            _c("status", "text", "发放状态"),
            _c("batch_id", "code", "批次"),
            _c("department"),
        ),
        required=("id_number", "name", "amount", "pay_date", ("program_code", "program_name")),
        key=("payment_id",),
        is_required_table=True,
        description="subsidy disbursement details (一卡通)",
        optional_columns=(
            "household_id",
            "covered_period",
            "quantity",
            "unit_price",
            "status",
            "batch_id",
            "department",
        ),
    ),
    Table(
        "accounts",
        ("一卡通账户", "开户信息"),
        (
            _c("account_no", "account"),
            _c("holder_id_number", "party", "开户人身份证号"),
            _c("holder_name", "text", "开户人"),
            _c("bank", "text", "开户行"),
            _c("open_date", "date", "开户日期"),
            _c("phone", "code"),
        ),
        required=("account_no", "holder_id_number"),
        key=("account_no",),
        description="bank-card accounts and their holders",
    ),
    Table(
        "ledger",
        ("村级财务凭证", "村级财务明细"),
        (
            _c("voucher_id", "code", "凭证号"),
            _c("village_code", "code"),
            _c("date", "date", "日期"),
            _c("summary", "text", "摘要"),
            _c("category", "text", "科目"),
            _c("direction", "text", "收支"),
            _c("amount", "amount"),
            _c("method", "text", "支付方式"),
            _c("counterparty_name", "text", "收款方", "对方单位"),
            _c("counterparty_id", "party", "收款方证件号", "信用代码"),
            _c("counterparty_account", "account", "收款账号"),
            _c("handler", "text", "经手人"),
            _c("approver", "text", "审批人"),
            _c("invoice_no", "code", "发票号"),
            _c("attachment_count", "number", "附件张数"),
            _c("account_code", "code", "科目编码"),
        ),
        required=("voucher_id", "village_code", "date", "direction", "amount"),
        key=("village_code", "date", "voucher_id"),
        description="village ledger vouchers (numbering restarts per village and month)",
        optional_columns=("invoice_no", "attachment_count", "account_code"),
    ),
    Table(
        "projects",
        ("项目库", "衔接资金项目"),
        (
            _c("project_id", "code"),
            _c("project_name", "text", "项目名称"),
            _c("village_code", "code"),
            _c("program_code", "code"),
            _c("budget", "amount", "预算金额"),
            _c("contract_amount", "amount", "合同金额"),
            _c("contractor_code", "credit", "中标单位信用代码"),
            _c("contractor_name", "text", "中标单位"),
            _c("tender_date", "date", "招标日期"),
            _c("start_date", "date"),
            _c("completion_date", "date", "完工日期"),
            _c("acceptance_date", "date", "验收日期"),
            _c("status", "text", "状态"),
        ),
        required=("project_id", "project_name", "village_code"),
        key=("project_id",),
        description="projects with contracts",
    ),
    Table(
        "project_payments",
        ("项目资金拨付",),
        (
            _c("project_id", "code"),
            _c("pay_date", "date"),
            _c("amount", "amount"),
            _c("payee_code", "credit", "收款单位信用代码"),
            _c("payee_name", "text", "收款单位"),
            _c("payee_account", "account", "收款账号"),
        ),
        required=("project_id", "pay_date", "amount"),
        key=(),
        description="payments made for projects",
    ),
    Table(
        "companies",
        ("工商登记", "市场主体"),
        (
            _c("credit_code", "credit"),
            _c("name", "text", "企业名称"),
            _c("legal_rep_id", "id", "法定代表人证件号"),
            _c("legal_rep_name", "text", "法定代表人"),
            _c("registered_date", "date", "成立日期"),
            _c("address", "text", "住所"),
            _c("phone", "code"),
            _c("status", "text", "登记状态"),
            _c("status_date", "date"),
            _c("registered_capital", "amount", "注册资本"),
            _c("insured_count", "number", "参保人数"),
        ),
        required=("credit_code", "name"),
        key=("credit_code",),
        description="business registrations",
        optional_columns=("status", "status_date", "registered_capital", "insured_count"),
    ),
    Table(
        "company_people",
        ("股东及主要人员",),
        (
            _c("credit_code", "credit"),
            _c("id_number", "id"),
            _c("name"),
            _c("role", "text", "职务", "角色"),
            _c("share_ratio", "ratio", "持股比例"),
        ),
        required=("credit_code", "id_number"),
        key=("credit_code", "id_number", "role"),
        description="shareholders and key people of companies",
    ),
    Table(
        "deaths",
        ("死亡人员", "火化信息", "死亡注销"),
        (
            _c("id_number", "id"),
            _c("name"),
            _c("death_date", "date", "死亡日期"),
            _c("source", "text", "数据来源"),
        ),
        required=("id_number", "death_date"),
        key=("id_number",),
        description="deaths (civil affairs, cremation, police)",
    ),
    Table(
        "vehicles",
        ("车辆登记",),
        (
            _c("id_number", "id"),
            _c("plate", "code", "号牌号码"),
            _c("vehicle_type", "text", "车辆类型"),
            _c("register_date", "date", "登记日期"),
            _c("use_type", "text", "使用性质"),
            _c("deregistered_date", "date", "注销日期"),
        ),
        required=("id_number",),
        key=("plate",),
        description="vehicle registrations",
        optional_columns=("use_type", "deregistered_date"),
    ),
    Table(
        "complaints",
        ("信访举报",),
        (
            _c("complaint_id", "code", "编号"),
            _c("received_date", "date", "受理日期"),
            _c("village_code", "code"),
            _c("subject_name", "text", "被反映人"),
            _c("subject_id_number", "id", "被反映人身份证号"),
            _c("category", "text", "问题类别"),
            _c("summary", "text", "内容摘要"),
        ),
        required=("complaint_id", "received_date"),
        key=("complaint_id",),
        description="complaints and reports",
    ),
    Table(
        "outcomes",
        ("核查结果",),
        (
            _c("lead_id", "code"),
            _c("entity_type", "code"),
            _c("entity_id", "code"),
            _c("outcome", "text", "核查结论"),
            _c("closed_date", "date", "办结日期"),
            _c("note", "text", "备注"),
        ),
        required=("entity_type", "entity_id", "outcome"),
        key=(),
        description="verification results of earlier leads",
    ),
    Table(
        "bids",
        ("投标记录",),
        (
            _c("tender_id", "code"),
            _c("project_id", "code"),
            _c("bidder_code", "credit"),
            _c("bid_price", "amount"),
            _c("manager_id", "id"),
            _c("contact_phone", "code"),
            _c("deposit_account", "account"),
        ),
        required=("project_id", "bidder_code"),
        description="bids in tenders (optional table)",
    ),
    Table(
        "properties",
        ("不动产",),
        (
            _c("id_number", "id"),
            _c("use", "text", "用途"),
            _c("area", "number", "面积"),
            _c("register_date", "date", "登记日期"),
        ),
        required=("id_number",),
        description="real-estate registrations (optional table)",
    ),
    Table(
        "filings",
        ("亲属备案",),
        (
            _c("id_number", "id"),
            _c("official_id_number", "id"),
            _c("relation"),
            _c("filed_date", "date"),
        ),
        required=("id_number", "official_id_number"),
        description="relatives declared by officials (optional table)",
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


def get_table(name: str) -> Table:
    """Return the declaration of table ``name`` or raise a clear error."""
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        raise KeyError(
            f"no table named {name!r}; known tables: {', '.join(TABLES_BY_NAME)}"
        ) from None


def aliases_for(table: Table, column: Column) -> tuple[str, ...]:
    """All header spellings accepted for ``column`` of ``table`` (canonical first)."""
    names = [column.name, *column.aliases, *SHARED_ALIASES.get(column.name, ())]
    return tuple(dict.fromkeys(names))
