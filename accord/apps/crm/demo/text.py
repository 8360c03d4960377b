"""Word lists for the demo data generator (names, companies, products, campaigns, texts).

Names are built from common Chinese surnames and given-name characters with their pinyin, so a
person's e-mail address matches their name; companies follow the Chinese naming pattern
行政区划 + 字号 + 行业 + 组织形式 (苏州恒达精密机械有限公司). Everything here is fictional.
"""

from __future__ import annotations

# (surname, pinyin, relative frequency)
SURNAMES: tuple[tuple[str, str, int], ...] = (
    ("王", "wang", 30), ("李", "li", 30), ("张", "zhang", 28), ("刘", "liu", 22),
    ("陈", "chen", 20), ("杨", "yang", 13), ("黄", "huang", 9), ("赵", "zhao", 9),
    ("吴", "wu", 8), ("周", "zhou", 8), ("徐", "xu", 6), ("孙", "sun", 6), ("马", "ma", 6),
    ("朱", "zhu", 5), ("胡", "hu", 5), ("郭", "guo", 5), ("何", "he", 4), ("林", "lin", 4),
    ("高", "gao", 4), ("罗", "luo", 4), ("郑", "zheng", 4), ("梁", "liang", 3),
    ("谢", "xie", 3), ("宋", "song", 3), ("唐", "tang", 3), ("许", "xu", 3), ("韩", "han", 3),
    ("冯", "feng", 3), ("邓", "deng", 3), ("曹", "cao", 3), ("彭", "peng", 2),
    ("曾", "zeng", 2), ("肖", "xiao", 2), ("田", "tian", 2), ("董", "dong", 2),
    ("潘", "pan", 2), ("袁", "yuan", 2), ("蔡", "cai", 2), ("蒋", "jiang", 2), ("余", "yu", 2),
    ("杜", "du", 2), ("叶", "ye", 2), ("程", "cheng", 2), ("魏", "wei", 2), ("苏", "su", 2),
    ("沈", "shen", 2), ("任", "ren", 2), ("姚", "yao", 1), ("欧阳", "ouyang", 1),
)  # fmt: skip

GIVEN_MALE: tuple[tuple[str, str], ...] = (
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("勇", "yong"), ("杰", "jie"),
    ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("刚", "gang"), ("平", "ping"), ("辉", "hui"),
    ("鹏", "peng"), ("华", "hua"), ("飞", "fei"), ("鑫", "xin"), ("波", "bo"), ("斌", "bin"),
    ("宇", "yu"), ("浩", "hao"), ("凯", "kai"), ("健", "jian"), ("俊", "jun"), ("帆", "fan"),
    ("旭", "xu"), ("宁", "ning"), ("龙", "long"), ("峰", "feng"), ("建", "jian"), ("国", "guo"),
    ("志", "zhi"), ("文", "wen"), ("博", "bo"), ("晨", "chen"), ("阳", "yang"), ("然", "ran"),
)  # fmt: skip
GIVEN_FEMALE: tuple[tuple[str, str], ...] = (
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("艳", "yan"),
    ("娟", "juan"), ("霞", "xia"), ("秀", "xiu"), ("玲", "ling"), ("婷", "ting"), ("雪", "xue"),
    ("慧", "hui"), ("莉", "li"), ("琳", "lin"), ("晶", "jing"), ("颖", "ying"), ("倩", "qian"),
    ("洁", "jie"), ("琴", "qin"), ("燕", "yan"), ("梅", "mei"), ("欣", "xin"), ("悦", "yue"),
    ("佳", "jia"), ("雯", "wen"), ("璐", "lu"), ("萍", "ping"), ("红", "hong"), ("蕾", "lei"),
)  # fmt: skip

EN_FIRST_MALE = (
    "James",
    "John",
    "Robert",
    "Michael",
    "David",
    "William",
    "Richard",
    "Thomas",
    "Daniel",
    "Matthew",
    "Andrew",
    "Mark",
    "Paul",
    "Steven",
    "Kevin",
    "Brian",
    "Jason",
    "Ryan",
    "Eric",
    "Peter",
    "Lucas",
    "Oliver",
    "Henry",
    "Samuel",
)
EN_FIRST_FEMALE = (
    "Mary",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Emily",
    "Emma",
    "Olivia",
    "Sophia",
    "Laura",
    "Rachel",
    "Anna",
    "Grace",
    "Chloe",
    "Hannah",
    "Natalie",
    "Claire",
    "Megan",
    "Julia",
    "Alice",
    "Victoria",
)
EN_LAST = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Martin",
    "Jackson",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Carter",
    "Mitchell",
    "Roberts",
    "Turner",
    "Phillips",
    "Campbell",
    "Parker",
    "Evans",
    "Edwards",
    "Collins",
    "Stewart",
    "Tan",
    "Lim",
    "Ng",
    "Wong",
    "Chan",
    "Lee",
)

# First and second characters of a company's trade name (字号), with pinyin.
BRAND_FIRST: tuple[tuple[str, str], ...] = (
    ("恒", "heng"), ("华", "hua"), ("博", "bo"), ("天", "tian"), ("瑞", "rui"), ("金", "jin"),
    ("宏", "hong"), ("鼎", "ding"), ("新", "xin"), ("远", "yuan"), ("嘉", "jia"), ("中", "zhong"),
    ("安", "an"), ("盛", "sheng"), ("德", "de"), ("信", "xin"), ("联", "lian"), ("海", "hai"),
    ("永", "yong"), ("东", "dong"), ("汇", "hui"), ("卓", "zhuo"), ("睿", "rui"), ("智", "zhi"),
    ("启", "qi"), ("泰", "tai"), ("兴", "xing"), ("源", "yuan"), ("辰", "chen"), ("云", "yun"),
)  # fmt: skip
BRAND_SECOND: tuple[tuple[str, str], ...] = (
    ("达", "da"), ("信", "xin"), ("科", "ke"), ("诚", "cheng"), ("丰", "feng"), ("通", "tong"),
    ("成", "cheng"), ("昌", "chang"), ("拓", "tuo"), ("峰", "feng"), ("航", "hang"), ("泽", "ze"),
    ("晟", "sheng"), ("创", "chuang"), ("和", "he"), ("鑫", "xin"), ("锐", "rui"), ("微", "wei"),
    ("川", "chuan"), ("瀚", "han"), ("宇", "yu"), ("图", "tu"), ("合", "he"), ("元", "yuan"),
)  # fmt: skip

# industry → (Chinese business words, domain hint)
INDUSTRY_WORDS: dict[str, tuple[tuple[str, str], ...]] = {
    "manufacturing": (
        ("精密机械", "precision"), ("智能装备", "equipment"), ("汽车零部件", "auto"),
        ("电子科技", "tech"), ("新材料", "materials"), ("机电设备", "me"), ("五金制品", "hardware"),
    ),
    "it_internet": (
        ("信息技术", "it"), ("网络科技", "net"), ("软件", "soft"), ("数据科技", "data"),
        ("智能科技", "ai"), ("云计算科技", "cloud"),
    ),
    "finance": (
        ("融资租赁", "leasing"), ("投资管理", "capital"), ("保险经纪", "insurance"),
        ("商业保理", "factoring"),
    ),
    "education": (("教育科技", "edu"), ("职业培训", "training"), ("文化传播", "culture")),
    "healthcare": (
        ("医疗器械", "medical"), ("生物科技", "bio"), ("医药", "pharma"), ("健康管理", "health"),
    ),
    "retail_consumer": (
        ("商贸", "trading"), ("食品", "foods"), ("日用品", "home"), ("服饰", "fashion"),
        ("电子商务", "ecom"),
    ),
    "real_estate_construction": (
        ("建设工程", "build"), ("建筑设计", "design"), ("置业", "land"), ("装饰工程", "deco"),
    ),
    "logistics": (
        ("物流", "logistics"), ("供应链管理", "scm"), ("国际货运代理", "freight"),
        ("仓储服务", "storage"),
    ),
    "energy_chemical": (
        ("新能源", "energy"), ("化工", "chem"), ("环保科技", "eco"), ("电力设备", "power"),
    ),
    "professional_services": (
        ("管理咨询", "consulting"), ("人力资源服务", "hr"), ("知识产权代理", "ip"),
        ("广告传媒", "media"),
    ),
    "other": (("实业", "group"), ("贸易", "trade")),
    "government_public": (("公用事业", "public"),),
}  # fmt: skip

EN_BRANDS = (
    "Apex",
    "Summit",
    "Northwind",
    "Bluewave",
    "Crestline",
    "Vertex",
    "Harbor",
    "Pinnacle",
    "Meridian",
    "Evergreen",
    "Silverline",
    "Orion",
    "Atlas",
    "Nova",
    "Keystone",
    "Redwood",
    "Brightpath",
    "Ironclad",
    "Lumen",
    "Sterling",
    "Granite",
    "Horizon",
    "Beacon",
    "Cobalt",
)
EN_INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "manufacturing": ("Precision Components", "Industrial Systems", "Automotive Parts"),
    "it_internet": ("Software", "Technologies", "Data Systems"),
    "finance": ("Capital", "Leasing", "Insurance Brokers"),
    "education": ("Learning", "Education Services"),
    "healthcare": ("Medical Devices", "Life Sciences", "Diagnostics"),
    "retail_consumer": ("Consumer Brands", "Retail", "Foods"),
    "real_estate_construction": ("Engineering", "Properties"),
    "logistics": ("Logistics", "Supply Chain", "Freight"),
    "energy_chemical": ("Energy", "Chemicals", "Clean Tech"),
    "professional_services": ("Consulting", "Advisory", "Partners"),
    "other": ("Holdings", "Trading"),
    "government_public": ("Public Services",),
}

GOVERNMENT_BODIES = (
    "市场监督管理局", "交通运输局", "生态环境局", "人力资源和社会保障局", "住房和城乡建设局",
    "政务服务管理办公室", "应急管理局", "商务局",
)  # fmt: skip
PUBLIC_INSTITUTIONS = (
    ("第一人民医院", "healthcare"), ("第二人民医院", "healthcare"), ("中心医院", "healthcare"),
    ("职业技术学院", "education"), ("第一中学", "education"),
    ("公共资源交易中心", "government_public"), ("大数据中心", "government_public"),
    ("疾病预防控制中心", "healthcare"),
)  # fmt: skip

CUSTOMER_TAGS_ZH = (
    "重点跟进",
    "上市公司",
    "高新技术企业",
    "专精特新",
    "渠道客户",
    "续费风险",
    "标杆客户",
)
CUSTOMER_TAGS_EN = ("key account", "listed company", "channel", "renewal risk", "reference")
LEAD_TAGS = ("高意向", "需要演示", "预算已批", "价格敏感", "多次咨询")

ROADS = (
    "人民路", "中山路", "解放路", "建设路", "新华路", "长江路", "黄河路", "科技路", "创业路",
    "高新大道", "世纪大道", "滨江大道", "学府路", "文化路", "工业园路", "迎宾大道", "东风路",
)  # fmt: skip
BUILDINGS = (
    "创新大厦",
    "科技园A座",
    "国际商务中心",
    "财富广场",
    "金融中心",
    "软件园二期",
    "产业园3号楼",
)
SG_ROADS = ("Raffles Place", "Shenton Way", "Robinson Road", "Cecil Street", "Anson Road")
BANKS = (
    "中国工商银行",
    "中国建设银行",
    "中国银行",
    "中国农业银行",
    "招商银行",
    "交通银行",
    "浦发银行",
)

# (title zh, title en, department zh, decision role)
CONTACT_ROLES: tuple[tuple[str, str, str, str], ...] = (
    ("总经理", "General Manager", "总经办", "decision_maker"),
    ("副总经理", "Deputy General Manager", "总经办", "decision_maker"),
    ("信息中心主任", "Head of IT", "信息中心", "decision_maker"),
    ("IT 经理", "IT Manager", "信息技术部", "technical_evaluator"),
    ("系统架构师", "Solution Architect", "信息技术部", "technical_evaluator"),
    ("采购经理", "Procurement Manager", "采购部", "purchaser"),
    ("采购专员", "Buyer", "采购部", "purchaser"),
    ("财务总监", "CFO", "财务部", "finance"),
    ("销售总监", "Sales Director", "销售部", "influencer"),
    ("运营经理", "Operations Manager", "运营部", "influencer"),
    ("生产总监", "Production Director", "生产部", "influencer"),
    ("客服主管", "Service Supervisor", "客服中心", "end_user"),
    ("销售主管", "Sales Supervisor", "销售部", "end_user"),
    ("行政主管", "Office Manager", "行政部", "other"),
    ("项目经理", "Project Manager", "项目部", "champion"),
)

# code | product line | category | unit | list price (CNY) | cost ratio | VAT % | name
_PRODUCT_TABLE = """
ACC-CRM-STD    |software |saas_subscription |user_year |    1200|0.2  |  6|CRM 标准版（SaaS）
ACC-CRM-PRO    |software |saas_subscription |user_year |    2400|0.2  |  6|CRM 专业版（SaaS）
ACC-CRM-ENT    |software |saas_subscription |user_year |    3600|0.2  |  6|CRM 企业版（SaaS）
ACC-CRM-PRIV   |software |perpetual_license |license   |  380000|0.1  | 13|CRM 私有化部署授权
ACC-DESK-PRO   |software |saas_subscription |user_year |    1800|0.2  |  6|智能客服工单系统
ACC-MKT-AUTO   |software |saas_subscription |year      |   98000|0.25 |  6|营销自动化平台
ACC-BI-PRO     |software |perpetual_license |license   |  168000|0.1  | 13|商业智能分析平台
ACC-ERP-CONN   |software |add_on_module     |set       |   58000|0.15 | 13|金蝶/用友 ERP 集成套件
ACC-IM-CONN    |software |add_on_module     |set       |   19800|0.1  | 13|钉钉/企微/飞书集成模块
ACC-API-PLUS   |software |add_on_module     |year      |   30000|0.1  |  6|开放平台 API 扩展包
ACC-DMS-PRO    |software |perpetual_license |license   |  260000|0.12 | 13|经销商管理系统
ACC-CPQ        |software |add_on_module     |set       |   68000|0.12 | 13|报价配置（CPQ）模块
ACC-ESIGN      |software |add_on_module     |year      |   36000|0.3  |  6|电子合同与签章模块
ACC-MOBILE     |software |add_on_module     |user_year |     360|0.1  |  6|移动销售 App 授权
HW-SVR-2U      |hardware |server            |unit      |   68000|0.72 | 13|2U 双路机架式服务器
HW-SVR-4U      |hardware |server            |unit      |  128000|0.74 | 13|4U 高密度存储服务器
HW-NAS-16      |hardware |server            |unit      |   45000|0.7  | 13|16 盘位企业级 NAS 存储
HW-SW-48G      |hardware |network_device    |unit      |   12800|0.68 | 13|48 口千兆三层交换机
HW-SW-10G      |hardware |network_device    |unit      |   56000|0.7  | 13|万兆核心交换机
HW-FW-1000     |hardware |network_device    |unit      |   38000|0.65 | 13|下一代防火墙
HW-AP-WIFI6    |hardware |network_device    |piece     |    1680|0.6  | 13|Wi-Fi 6 企业级无线 AP
HW-PDA-200     |hardware |iot_terminal      |piece     |    3200|0.66 | 13|工业手持终端（PDA）
HW-GW-IOT      |hardware |iot_terminal      |piece     |    4800|0.6  | 13|工业物联网网关
HW-RFID-R4     |hardware |iot_terminal      |piece     |    6500|0.62 | 13|RFID 固定式读写器
HW-SCAN-2D     |hardware |iot_terminal      |piece     |     680|0.55 | 13|二维码扫描枪
HW-KIOSK-21    |hardware |iot_terminal      |unit      |   18000|0.7  | 13|21.5 寸自助服务终端
SV-IMPL-STD    |services |implementation    |person_day|    2800|0.45 |  6|标准实施服务
SV-DEV-CUST    |services |implementation    |person_day|    3500|0.5  |  6|定制开发服务
SV-DATA-MIG    |services |implementation    |project   |   30000|0.4  |  6|历史数据迁移服务
SV-HW-INSTALL  |services |implementation    |session   |    3000|0.5  |  6|硬件安装调试服务
SV-TRAIN-ADM   |services |training          |session   |   12000|0.35 |  6|系统管理员培训（2 天）
SV-TRAIN-USER  |services |training          |session   |    6000|0.35 |  6|最终用户培训
SV-MAINT-STD   |services |maintenance       |year      |   48000|0.4  |  6|标准运维服务（5×8）
SV-MAINT-PREM  |services |maintenance       |year      |  120000|0.45 |  6|高级运维服务（7×24）
SV-ONSITE      |services |maintenance       |month     |   25000|0.6  |  6|驻场运维服务
SV-CONSULT-DX  |services |consulting        |project   |  150000|0.5  |  6|数字化转型咨询
SV-CONSULT-SLS |services |consulting        |project   |   80000|0.5  |  6|销售流程优化咨询
SOL-MFG        |solution |industry_solution |set       |  880000|0.45 | 13|智能制造 MES+CRM 方案
SOL-RETAIL     |solution |industry_solution |set       |  560000|0.45 | 13|新零售全渠道会员解决方案
SOL-PARK       |solution |industry_solution |set       | 1280000|0.5  | 13|智慧园区综合管理解决方案
"""

PRODUCT_SPECS: dict[str, str] = {
    "ACC-CRM-PRIV": "含 200 用户授权，支持 PostgreSQL / 达梦数据库",
    "ACC-MKT-AUTO": "含 10 万联系人、每月 50 万封邮件",
    "ACC-ERP-CONN": "支持金蝶云星空、用友 U8 / NC Cloud",
    "ACC-API-PLUS": "每日 100 万次调用",
    "HW-SVR-2U": "2×至强银牌 24 核 / 256GB 内存 / 4×1.92TB SSD",
    "HW-SVR-4U": "36 盘位 / 512GB 内存 / 双万兆网口",
    "HW-NAS-16": "16×3.5 英寸盘位 / 双控制器",
    "HW-SW-48G": "48×千兆电口 + 4×万兆光口",
    "HW-SW-10G": "48×万兆光口 + 6×100G 上联",
    "HW-FW-1000": "吞吐 10Gbps，含 3 年特征库升级",
    "HW-AP-WIFI6": "双频 / 吸顶安装 / PoE 供电",
    "HW-PDA-200": "5.5 英寸屏 / 二维码扫描 / IP67",
    "HW-GW-IOT": "Modbus / OPC UA / 4G 全网通",
    "HW-RFID-R4": "UHF 四通道",
}

# The same for government agencies and public institutions.
PUBLIC_SECTOR_ROLES: tuple[tuple[str, str, str, str], ...] = (
    ("主任", "Director", "办公室", "decision_maker"),
    ("信息中心主任", "Head of IT", "信息中心", "decision_maker"),
    ("副主任", "Deputy Director", "办公室", "influencer"),
    ("信息科科长", "Head of IT Section", "信息科", "technical_evaluator"),
    ("采购科科长", "Head of Procurement", "采购科", "purchaser"),
    ("财务科科长", "Head of Finance", "财务科", "finance"),
    ("系统工程师", "Systems Engineer", "信息中心", "technical_evaluator"),
    ("科员", "Officer", "综合科", "end_user"),
)

# (code, zh name, line, category, unit, list price CNY, cost ratio, VAT %, specification)
PRODUCTS: tuple[tuple[str, str, str, str, str, int, float, int, str], ...] = tuple(
    (
        code,
        name,
        line,
        category,
        unit,
        int(price),
        float(cost),
        int(vat),
        PRODUCT_SPECS.get(code, ""),
    )
    for code, line, category, unit, price, cost, vat, name in (
        [part.strip() for part in row.split("|")] for row in _PRODUCT_TABLE.strip().splitlines()
    )
)

# (type, channel, zh name, utm slug, budget range in CNY)
CAMPAIGNS: tuple[tuple[str, str, str, str, tuple[int, int]], ...] = (
    ("trade_show", "offline", "华东智能制造展（上海）", "expo_sh_mfg", (200_000, 600_000)),
    ("ads", "baidu", "百度搜索推广 - CRM 核心词", "baidu_sem_crm", (80_000, 300_000)),
    ("webinar", "wechat", "销售数字化线上直播：从线索到回款", "live_lead2cash", (10_000, 50_000)),
    ("ads", "oceanengine", "巨量引擎信息流 - 制造业", "oe_feed_mfg", (60_000, 250_000)),
    ("email", "email", "EDM - 产品新功能月刊", "edm_newsletter", (5_000, 20_000)),
    ("seminar", "offline", "客户成功案例沙龙（深圳站）", "salon_sz", (30_000, 120_000)),
    ("wechat", "wechat", "公众号 - 行业白皮书下载", "wx_whitepaper", (20_000, 80_000)),
    ("ads", "linkedin", "LinkedIn Ads - APAC Enterprise", "li_apac_ent", (50_000, 200_000)),
    ("trade_show", "offline", "华南数字化转型峰会（广州）", "summit_gz_dx", (150_000, 450_000)),
    ("ads", "google", "Google Search - CRM Software (EN)", "google_sem_en", (40_000, 150_000)),
    ("sms", "sms", "短信 - 老客户续费提醒", "sms_renewal", (5_000, 30_000)),
    ("seminar", "offline", "年度客户答谢会（上海）", "gala_sh", (80_000, 200_000)),
    ("webinar", "other", "CRM 选型线上研讨会", "webinar_crm_select", (10_000, 40_000)),
    ("trade_show", "offline", "西部工业互联网大会（成都）", "expo_cd_iiot", (120_000, 350_000)),
    ("ads", "baidu", "百度信息流 - 客服系统", "baidu_feed_desk", (50_000, 180_000)),
    ("other", "partner", "合作伙伴大会", "partner_summit", (100_000, 300_000)),
    ("email", "email", "EDM - 制造业解决方案专题", "edm_mfg", (5_000, 20_000)),
    ("ads", "oceanengine", "抖音短视频 - 产品演示", "douyin_demo", (60_000, 200_000)),
    ("seminar", "offline", "华北区域客户交流会（北京）", "salon_bj", (30_000, 100_000)),
    ("wechat", "wechat", "企业微信社群 - 私域运营", "wecom_community", (10_000, 50_000)),
)

# product line → project name suffixes (zh, en)
PROJECTS: dict[str, tuple[tuple[str, str], ...]] = {
    "software": (
        ("CRM 系统采购项目", "CRM rollout"), ("销售管理平台建设", "sales platform"),
        ("客服系统升级", "service desk upgrade"), ("营销自动化项目", "marketing automation"),
        ("BI 数据分析平台", "BI platform"), ("经销商门户项目", "dealer portal"),
    ),
    "hardware": (
        ("服务器扩容采购", "server expansion"), ("工厂物联网改造", "factory IoT retrofit"),
        ("网络设备更新项目", "network refresh"), ("智能仓储终端采购", "warehouse terminals"),
    ),
    "services": (
        ("系统实施服务", "implementation services"), ("年度运维服务", "annual support"),
        ("数字化转型咨询", "digital transformation advisory"), ("员工培训项目", "training"),
    ),
    "solution": (
        ("智能制造整体解决方案", "smart manufacturing"), ("全渠道会员项目", "omni-channel loyalty"),
        ("智慧园区项目", "smart campus"),
    ),
}  # fmt: skip

COMPETITORS_ZH = (
    "国际 CRM 厂商",
    "本土 SaaS 厂商",
    "本地系统集成商",
    "客户自研团队",
    "ERP 厂商自带 CRM",
)
COMPETITORS_EN = ("Global CRM vendor", "Local SaaS vendor", "Regional integrator", "In-house build")

LOST_DETAILS_ZH = {
    "price": "客户认为报价高于预算 20% 以上，竞品给出更低折扣",
    "competitor": "竞品在行业案例上更有优势，客户选择了对方",
    "requirement_changed": "客户组织架构调整，需求范围发生变化",
    "no_budget": "今年预算被砍，项目推迟到明年",
    "delayed": "决策层迟迟未拍板，项目无限期搁置",
    "relationship": "客户高层与竞品关系更紧密",
    "other": "客户内部原因，项目取消",
}
LOST_DETAILS_EN = {
    "price": "Our quote was over budget; the competitor offered a deeper discount",
    "competitor": "The competitor had stronger references in the industry",
    "requirement_changed": "Re-organisation changed the scope",
    "no_budget": "Budget cut this year; project moved to next year",
    "delayed": "No decision from management; project on indefinite hold",
    "relationship": "Stronger executive relationship on the competitor's side",
    "other": "Cancelled for internal reasons",
}

NEXT_STEPS_ZH = (
    "约客户 IT 负责人做产品演示", "提交技术方案并确认需求", "发送正式报价", "安排高层拜访",
    "推动合同进入法务审核", "邀请客户参观标杆案例", "确认预算与采购流程",
)  # fmt: skip
NEXT_STEPS_EN = (
    "Schedule a demo with the IT lead",
    "Send the solution proposal",
    "Send the formal quote",
    "Arrange an executive visit",
    "Push the contract through legal review",
    "Confirm budget and procurement process",
)

# activity type → (zh subjects, en subjects)
ACTIVITY_SUBJECTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "call": (
        (
            "电话沟通项目进展",
            "电话确认需求细节",
            "电话跟进报价反馈",
            "首次电话联系",
            "电话预约拜访时间",
        ),
        (
            "Call: project status",
            "Call: clarify requirements",
            "Call: quote feedback",
            "Intro call",
        ),
    ),
    "visit": (
        ("上门拜访客户", "拜访信息中心主任", "现场调研业务流程", "陪同高层拜访"),
        ("On-site visit", "Visit the IT department", "Process discovery workshop"),
    ),
    "email": (
        ("发送产品资料", "发送解决方案", "邮件发送报价单", "发送会议纪要"),
        ("Sent product brochure", "Sent solution proposal", "Sent quote", "Sent meeting notes"),
    ),
    "meeting": (
        ("需求沟通会", "方案评审会", "商务谈判会议", "项目启动会"),
        ("Requirements workshop", "Solution review", "Commercial negotiation", "Kick-off meeting"),
    ),
    "wechat": (
        ("微信沟通试用情况", "微信发送案例资料", "微信确认会议时间"),
        ("WeChat: trial feedback", "WeChat: shared case study", "WeChat: confirmed meeting time"),
    ),
    "demo": (
        ("线上产品演示", "现场产品演示", "POC 测试演示"),
        ("Online product demo", "On-site demo", "Proof-of-concept demo"),
    ),
    "note": (
        ("内部备注：竞品动态", "内部备注：客户组织架构", "内部备注：决策链分析"),
        ("Note: competitor intel", "Note: org chart", "Note: buying committee"),
    ),
}
ACTIVITY_CONTENT_ZH = (
    "客户对销售漏斗和回款管理功能比较感兴趣，希望下周安排详细演示。",
    "对方 IT 负责人提出需要与金蝶 ERP 对接，已承诺提供接口方案。",
    "客户在对比两家供应商，重点关注私有化部署和数据安全。",
    "采购表示预算已批，需在季度末前完成合同签订。",
    "演示效果良好，客户希望增加移动端审批功能。",
    "客户反馈价格偏高，需要申请特价审批。",
    "已发送案例资料，客户将内部讨论后回复。",
    "客户暂时没有明确需求，约定一个月后再次联系。",
)
ACTIVITY_CONTENT_EN = (
    "Interested in pipeline and receivables features; asked for a detailed demo next week.",
    "IT lead needs an ERP integration; we promised an interface proposal.",
    "Comparing two vendors; focus on on-premises deployment and data security.",
    "Budget approved; procurement wants the contract signed before quarter end.",
    "Demo went well; they asked for mobile approvals.",
    "Price seen as high; special pricing approval needed.",
)

# ticket type → (zh subjects, en subjects); {p} is the product name
TICKET_SUBJECTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "consultation": (
        ("咨询{p}的权限配置方法", "{p}如何导出报表", "咨询{p}续费政策"),
        ("How to configure permissions in {p}", "Exporting reports from {p}"),
    ),
    "fault": (
        ("{p}登录异常", "{p}数据同步失败", "{p}无法开机", "{p}页面加载缓慢"),
        ("Cannot log in to {p}", "{p} sync failing", "{p} does not power on"),
    ),
    "complaint": (
        ("对{p}实施进度不满意", "投诉{p}响应不及时"),
        ("Unhappy with {p} rollout progress", "Slow response on {p} issue"),
    ),
    "installation": (("{p}上门安装调试", "{p}新增站点部署"), ("{p} on-site installation",)),
    "return": (("{p}到货破损申请换货", "{p}型号不符申请退货"), ("{p} arrived damaged",)),
    "suggestion": (("建议{p}增加批量导入功能", "建议{p}支持深色模式"), ("Suggestion for {p}",)),
}
TICKET_RESOLUTIONS_ZH = (
    "已远程协助客户完成配置，问题解决。",
    "定位为网络策略问题，协助客户调整防火墙规则后恢复正常。",
    "已升级至最新版本，问题不再复现。",
    "已安排工程师上门处理并完成更换。",
    "已向客户说明操作步骤并发送操作手册。",
)
TICKET_RESOLUTIONS_EN = (
    "Helped the customer remotely; configuration fixed.",
    "Firewall rule adjusted; service restored.",
    "Upgraded to the latest version; no longer reproducible.",
    "Engineer replaced the unit on site.",
)
SATISFACTION_COMMENTS = (
    "响应很快，工程师很专业",
    "问题解决了，但等待时间有点长",
    "非常满意",
    "一般",
    "希望后续改进",
)

SEARCH_TERMS = ("crm系统", "客户管理软件", "销售管理系统", "crm软件哪个好", "客服工单系统", "scrm")
SEARCH_TERMS_EN = ("crm software", "sales crm", "crm for manufacturing", "helpdesk software")
UTM_CONTENTS = ("banner_a", "banner_b", "video_15s", "case_study", "free_trial", "whitepaper")
