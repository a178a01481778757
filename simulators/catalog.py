"""Static reference data the generated world draws from: devices, components, places, names.

Kept apart from the generator so the world's vocabulary can be read (and extended) at a glance.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPANY_PREFIX = "6951234"
"""GS1 China company prefix of the manufacturer (GTIN-14 `0695...`)."""

STORE_NAME = "Tracehub Medical Store"
"""The shop, and the merchant ShipBob names on its returns (`customer_name`)."""

MANUFACTURER = ("Tracehub Medical Technology (Hangzhou) Co., Ltd.", "Zhejiang", "浙食药监械生产许20150012号")


@dataclass(frozen=True)
class DeviceSpec:
    """A finished device as registered with NMPA and sold through the shop."""

    sku: str
    name_en: str
    name_zh: str
    model: str
    registration_no: str
    risk_class: str
    tracking: str
    unit_price_cents: int
    order_qty: tuple[int, ...]
    shelf_life_days: int
    components: tuple[int, ...]


DEVICES: tuple[DeviceSpec, ...] = (
    DeviceSpec(
        "TH-IS-200",
        "Infusion set IS-200",
        "一次性使用输液器",
        "IS-200",
        "浙械注准20232140123",
        "II",
        "lot",
        1000,
        (10, 20, 30, 50, 100),
        1095,
        (0, 2),
    ),
    DeviceSpec(
        "TH-SY-050",
        "Sterile syringe SY-050",
        "一次性使用无菌注射器",
        "SY-050",
        "浙械注准20222140311",
        "II",
        "lot",
        120,
        (50, 100, 200),
        1095,
        (0, 2),
    ),
    DeviceSpec(
        "TH-CV-310",
        "Central venous catheter CV-310",
        "中心静脉导管",
        "CV-310",
        "国械注准20233140123",
        "III",
        "lot",
        38000,
        (2, 5, 10),
        1095,
        (0, 1, 3),
    ),
    DeviceSpec(
        "TH-GL-100",
        "Examination gloves GL-100",
        "一次性使用医用检查手套",
        "GL-100",
        "浙杭械备20230012号",
        "I",
        "lot",
        3500,
        (10, 20, 50),
        1825,
        (1,),
    ),
    DeviceSpec(
        "TH-MK-020",
        "Surgical mask MK-020",
        "医用外科口罩",
        "MK-020",
        "浙械注准20212140876",
        "II",
        "lot",
        80,
        (100, 200, 500),
        730,
        (1,),
    ),
    DeviceSpec(
        "TH-SU-410",
        "Absorbable suture SU-410",
        "可吸收性外科缝线",
        "SU-410",
        "国械注准20213020456",
        "III",
        "lot",
        6500,
        (12, 24, 36),
        1825,
        (2,),
    ),
    DeviceSpec(
        "TH-DR-120",
        "Wound dressing DR-120",
        "医用敷料",
        "DR-120",
        "浙杭械备20220154号",
        "I",
        "lot",
        1500,
        (10, 20, 40),
        1095,
        (1,),
    ),
    DeviceSpec(
        "TH-BG-080",
        "Blood glucose test strips BG-080",
        "血糖试纸",
        "BG-080",
        "浙械注准20242400019",
        "II",
        "lot",
        4500,
        (5, 10, 20),
        730,
        (4, 5),
    ),
    DeviceSpec(
        "TH-PM-900",
        "Cardiac pacemaker PM-900",
        "植入式心脏起搏器",
        "PM-900",
        "国械注准20243120088",
        "III",
        "serial",
        4800000,
        (1, 2),
        1825,
        (3, 4, 5),
    ),
    DeviceSpec(
        "TH-ST-600",
        "Coronary stent ST-600",
        "冠状动脉药物洗脱支架系统",
        "ST-600",
        "国械注准20223130517",
        "III",
        "serial",
        1200000,
        (1, 2, 3),
        1095,
        (3, 0),
    ),
    DeviceSpec(
        "TH-IP-700",
        "Infusion pump IP-700",
        "输液泵",
        "IP-700",
        "浙械注准20232140555",
        "II",
        "serial",
        2600000,
        (1, 2, 4),
        3650,
        (4, 5),
    ),
    DeviceSpec(
        "TH-OX-150",
        "Pulse oximeter OX-150",
        "脉搏血氧仪",
        "OX-150",
        "浙械注准20222070341",
        "II",
        "serial",
        90000,
        (1, 2, 5),
        3650,
        (4, 5),
    ),
)


@dataclass(frozen=True)
class ComponentSpec:
    """A purchased component (lot tracked), made by one supplier."""

    code: str
    name_en: str
    name_zh: str
    supplier: int
    company_prefix: str
    per_unit: float


COMPONENTS: tuple[ComponentSpec, ...] = (
    ComponentSpec("CP-PVC-01", "Medical PVC tubing", "医用PVC管材", 0, "6920455", 1.5),
    ComponentSpec("CP-SIL-02", "Medical-grade silicone", "医用级硅胶", 1, "6931208", 0.2),
    ComponentSpec("CP-NDL-03", "Stainless steel cannula", "不锈钢针管", 2, "6902287", 1.0),
    ComponentSpec("CP-NIT-04", "Nitinol wire", "镍钛合金丝", 2, "6902287", 0.5),
    ComponentSpec("CP-BAT-05", "Lithium battery cell", "锂电池电芯", 3, "6944780", 1.0),
    ComponentSpec("CP-PCB-06", "PCB assembly", "印制电路板组件", 3, "6944780", 1.0),
)

SUPPLIERS: tuple[tuple[str, str], ...] = (
    ("Ningbo Meditube Materials Co., Ltd.", "Zhejiang"),
    ("Shenzhen Silicare Polymer Co., Ltd.", "Guangdong"),
    ("Suzhou Precision Metal Medical Co., Ltd.", "Jiangsu"),
    ("Chengdu Voltcell Electronics Co., Ltd.", "Sichuan"),
)


@dataclass(frozen=True)
class Province:
    """A province as Shopify (code), Odoo (state) and licence numbers (abbreviation) name it."""

    name: str
    code: str
    abbr: str
    admin_code: str
    cities: tuple[str, ...]


PROVINCES: tuple[Province, ...] = (
    Province("Zhejiang", "ZJ", "浙", "330000", ("Hangzhou", "Ningbo", "Wenzhou", "Shaoxing")),
    Province("Jiangsu", "JS", "苏", "320000", ("Nanjing", "Suzhou", "Wuxi", "Changzhou")),
    Province("Guangdong", "GD", "粤", "440000", ("Guangzhou", "Shenzhen", "Foshan", "Dongguan")),
    Province("Beijing", "BJ", "京", "110000", ("Beijing",)),
    Province("Shanghai", "SH", "沪", "310000", ("Shanghai",)),
    Province("Sichuan", "SC", "川", "510000", ("Chengdu", "Mianyang")),
    Province("Hubei", "HB", "鄂", "420000", ("Wuhan", "Yichang")),
    Province("Shandong", "SD", "鲁", "370000", ("Jinan", "Qingdao", "Yantai")),
    Province("Hunan", "HN", "湘", "430000", ("Changsha", "Zhuzhou")),
    Province("Fujian", "FJ", "闽", "350000", ("Fuzhou", "Xiamen")),
    Province("Henan", "HA", "豫", "410000", ("Zhengzhou", "Luoyang")),
    Province("Anhui", "AH", "皖", "340000", ("Hefei", "Wuhu")),
)

HOSPITAL_PATTERNS: tuple[str, ...] = (
    "{city} First People's Hospital",
    "{city} Central Hospital",
    "{city} Hospital of Traditional Chinese Medicine",
    "{city} Women and Children's Hospital",
    "{city} Second People's Hospital",
    "{city} Cancer Hospital",
    "{city} Cardiovascular Hospital",
    "{city} Orthopaedic Hospital",
)

DISTRIBUTOR_WORDS: tuple[str, ...] = (
    "Kangda",
    "Huamei",
    "Jianxin",
    "Ruikang",
    "Tianyi",
    "Anheng",
    "Boya",
    "Deshun",
    "Yongsheng",
    "Zhongjian",
)

FIRST_NAMES: tuple[str, ...] = ("Lin", "Wei", "Fang", "Jing", "Min", "Hua", "Lei", "Yan", "Jun", "Xiu", "Tao", "Ping")
LAST_NAMES: tuple[str, ...] = ("Chen", "Wang", "Li", "Zhang", "Liu", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun")
INSPECTORS: tuple[str, ...] = ("Zhang Wei", "Li Na", "Wang Fang", "Chen Jie")
CARRIERS: tuple[tuple[str, str], ...] = (("SF Express", "SF"), ("JD Logistics", "JDL"), ("EMS", "EM"))
LOCATIONS: tuple[tuple[int, str], ...] = ((11, "Suzhou DC"), (12, "Chengdu DC"))
