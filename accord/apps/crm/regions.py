"""China's administrative divisions: data for demo records and address normalisation.

All 34 provincial-level divisions (GB/T 2260 codes, official names, short names, one-character
abbreviations, English names and the sales region they belong to), and for the major provinces a
selection of real prefecture-level cities with some of their real districts, the landline area
code, the number of digits of a local landline number and the city's main postcode.

The sales regions (华东, 华南, …) follow the grouping Chinese sales teams use; ``REGION_LABELS``
holds the values of the ``region`` select of lead and customer.
"""

from __future__ import annotations

from dataclasses import dataclass

REGION_LABELS: dict[str, dict[str, str]] = {
    "east_china": {"en": "East China", "zh": "华东"},
    "south_china": {"en": "South China", "zh": "华南"},
    "north_china": {"en": "North China", "zh": "华北"},
    "central_china": {"en": "Central China", "zh": "华中"},
    "southwest": {"en": "Southwest China", "zh": "西南"},
    "northwest": {"en": "Northwest China", "zh": "西北"},
    "northeast": {"en": "Northeast China", "zh": "东北"},
    "hk_mo_tw": {"en": "Hong Kong, Macao & Taiwan", "zh": "港澳台"},
    "overseas": {"en": "Overseas", "zh": "海外"},
}

MUNICIPALITY = "municipality"  # 直辖市
PROVINCE = "province"  # 省
AUTONOMOUS_REGION = "autonomous_region"  # 自治区
SAR = "sar"  # 特别行政区


@dataclass(frozen=True)
class City:
    """A prefecture-level city (for municipalities: the municipality itself)."""

    name: str  # official name, e.g. 深圳市
    en: str
    districts: tuple[str, ...]
    area_code: str | None  # landline area code with the trunk 0, e.g. "0755"; None in Hong Kong
    postcode: str | None  # the city's main postcode; None where there are none (Hong Kong)
    landline_digits: int = 8  # digits of a local number after the area code


@dataclass(frozen=True)
class Province:
    code: str  # two-digit GB/T 2260 code
    name: str  # official full name, e.g. 广东省
    short: str  # e.g. 广东
    abbr: str  # one-character abbreviation, e.g. 粤
    en: str
    kind: str
    region: str  # key of REGION_LABELS
    cities: tuple[City, ...] = ()


def _c(
    name: str,
    en: str,
    districts: str,
    area_code: str | None,
    postcode: str | None,
    digits: int = 8,
) -> City:
    return City(name, en, tuple(districts.split()), area_code, postcode, digits)


PROVINCES: tuple[Province, ...] = (
    Province(
        "11", "北京市", "北京", "京", "Beijing", MUNICIPALITY, "north_china",
        (_c("北京市", "Beijing", "东城区 西城区 朝阳区 海淀区 丰台区", "010", "100000"),),
    ),
    Province(
        "12", "天津市", "天津", "津", "Tianjin", MUNICIPALITY, "north_china",
        (_c("天津市", "Tianjin", "和平区 河西区 南开区 滨海新区", "022", "300000"),),
    ),
    Province(
        "13", "河北省", "河北", "冀", "Hebei", PROVINCE, "north_china",
        (
            _c("石家庄市", "Shijiazhuang", "长安区 桥西区 新华区 裕华区", "0311", "050000"),
            _c("唐山市", "Tangshan", "路南区 路北区 丰南区", "0315", "063000", 7),
        ),
    ),
    Province(
        "14", "山西省", "山西", "晋", "Shanxi", PROVINCE, "north_china",
        (_c("太原市", "Taiyuan", "小店区 迎泽区 杏花岭区 万柏林区", "0351", "030000", 7),),
    ),
    Province(
        "15", "内蒙古自治区", "内蒙古", "蒙", "Inner Mongolia", AUTONOMOUS_REGION, "north_china",
        (_c("呼和浩特市", "Hohhot", "新城区 回民区 赛罕区", "0471", "010000", 7),),
    ),
    Province(
        "21", "辽宁省", "辽宁", "辽", "Liaoning", PROVINCE, "northeast",
        (
            _c("沈阳市", "Shenyang", "和平区 沈河区 皇姑区 铁西区 浑南区", "024", "110000"),
            _c("大连市", "Dalian", "中山区 西岗区 沙河口区 甘井子区", "0411", "116000"),
        ),
    ),
    Province(
        "22", "吉林省", "吉林", "吉", "Jilin", PROVINCE, "northeast",
        (
            _c("长春市", "Changchun", "朝阳区 南关区 宽城区 绿园区", "0431", "130000"),
            _c("吉林市", "Jilin City", "船营区 昌邑区 龙潭区 丰满区", "0432", "132000"),
        ),
    ),
    Province(
        "23", "黑龙江省", "黑龙江", "黑", "Heilongjiang", PROVINCE, "northeast",
        (
            _c("哈尔滨市", "Harbin", "道里区 南岗区 香坊区 道外区", "0451", "150000"),
            _c("大庆市", "Daqing", "萨尔图区 龙凤区 让胡路区", "0459", "163000", 7),
        ),
    ),
    Province(
        "31", "上海市", "上海", "沪", "Shanghai", MUNICIPALITY, "east_china",
        (_c("上海市", "Shanghai", "浦东新区 徐汇区 静安区 黄浦区 闵行区", "021", "200000"),),
    ),
    Province(
        "32", "江苏省", "江苏", "苏", "Jiangsu", PROVINCE, "east_china",
        (
            _c("南京市", "Nanjing", "玄武区 秦淮区 鼓楼区 建邺区 江宁区", "025", "210000"),
            _c("苏州市", "Suzhou", "姑苏区 虎丘区 吴中区 相城区 吴江区", "0512", "215000"),
            _c("无锡市", "Wuxi", "梁溪区 滨湖区 新吴区 锡山区", "0510", "214000"),
            _c("常州市", "Changzhou", "天宁区 钟楼区 武进区 新北区", "0519", "213000"),
        ),
    ),
    Province(
        "33", "浙江省", "浙江", "浙", "Zhejiang", PROVINCE, "east_china",
        (
            _c("杭州市", "Hangzhou", "上城区 拱墅区 西湖区 滨江区 余杭区", "0571", "310000"),
            _c("宁波市", "Ningbo", "海曙区 江北区 鄞州区 北仑区 镇海区", "0574", "315000"),
            _c("温州市", "Wenzhou", "鹿城区 龙湾区 瓯海区", "0577", "325000"),
        ),
    ),
    Province(
        "34", "安徽省", "安徽", "皖", "Anhui", PROVINCE, "east_china",
        (
            _c("合肥市", "Hefei", "蜀山区 庐阳区 包河区 瑶海区", "0551", "230000"),
            _c("芜湖市", "Wuhu", "镜湖区 鸠江区 弋江区", "0553", "241000", 7),
        ),
    ),
    Province(
        "35", "福建省", "福建", "闽", "Fujian", PROVINCE, "east_china",
        (
            _c("福州市", "Fuzhou", "鼓楼区 台江区 仓山区 晋安区", "0591", "350000"),
            _c("厦门市", "Xiamen", "思明区 湖里区 集美区 海沧区", "0592", "361000", 7),
            _c("泉州市", "Quanzhou", "鲤城区 丰泽区 洛江区", "0595", "362000"),
        ),
    ),
    Province(
        "36", "江西省", "江西", "赣", "Jiangxi", PROVINCE, "east_china",
        (
            _c("南昌市", "Nanchang", "东湖区 西湖区 青山湖区", "0791", "330000"),
            _c("九江市", "Jiujiang", "浔阳区 濂溪区 柴桑区", "0792", "332000", 7),
        ),
    ),
    Province(
        "37", "山东省", "山东", "鲁", "Shandong", PROVINCE, "east_china",
        (
            _c("济南市", "Jinan", "历下区 市中区 槐荫区 天桥区 历城区", "0531", "250000"),
            _c("青岛市", "Qingdao", "市南区 市北区 黄岛区 崂山区 李沧区", "0532", "266000"),
            _c("烟台市", "Yantai", "芝罘区 福山区 莱山区", "0535", "264000", 7),
        ),
    ),
    Province(
        "41", "河南省", "河南", "豫", "Henan", PROVINCE, "central_china",
        (
            _c("郑州市", "Zhengzhou", "中原区 二七区 金水区 管城回族区 惠济区", "0371", "450000"),
            _c("洛阳市", "Luoyang", "西工区 老城区 涧西区 洛龙区", "0379", "471000"),
        ),
    ),
    Province(
        "42", "湖北省", "湖北", "鄂", "Hubei", PROVINCE, "central_china",
        (
            _c("武汉市", "Wuhan", "江岸区 江汉区 武昌区 洪山区 汉阳区", "027", "430000"),
            _c("宜昌市", "Yichang", "西陵区 伍家岗区 夷陵区", "0717", "443000", 7),
            _c("襄阳市", "Xiangyang", "襄城区 樊城区 襄州区", "0710", "441000", 7),
        ),
    ),
    Province(
        "43", "湖南省", "湖南", "湘", "Hunan", PROVINCE, "central_china",
        (
            _c("长沙市", "Changsha", "芙蓉区 天心区 岳麓区 开福区 雨花区", "0731", "410000"),
            _c("岳阳市", "Yueyang", "岳阳楼区 云溪区 君山区", "0730", "414000", 7),
            _c("衡阳市", "Hengyang", "雁峰区 珠晖区 石鼓区 蒸湘区", "0734", "421000", 7),
        ),
    ),
    Province(
        "44", "广东省", "广东", "粤", "Guangdong", PROVINCE, "south_china",
        (
            _c("广州市", "Guangzhou", "天河区 越秀区 海珠区 番禺区 白云区", "020", "510000"),
            _c("深圳市", "Shenzhen", "南山区 福田区 罗湖区 宝安区 龙岗区", "0755", "518000"),
            _c("佛山市", "Foshan", "禅城区 南海区 顺德区", "0757", "528000"),
            _c("珠海市", "Zhuhai", "香洲区 斗门区 金湾区", "0756", "519000", 7),
        ),
    ),
    Province(
        "45", "广西壮族自治区", "广西", "桂", "Guangxi", AUTONOMOUS_REGION, "south_china",
        (
            _c("南宁市", "Nanning", "青秀区 兴宁区 西乡塘区 江南区", "0771", "530000", 7),
            _c("桂林市", "Guilin", "秀峰区 叠彩区 象山区 七星区", "0773", "541000", 7),
            _c("柳州市", "Liuzhou", "城中区 鱼峰区 柳南区 柳北区", "0772", "545000", 7),
        ),
    ),
    Province(
        "46", "海南省", "海南", "琼", "Hainan", PROVINCE, "south_china",
        (
            _c("海口市", "Haikou", "龙华区 美兰区 秀英区 琼山区", "0898", "570000"),
            _c("三亚市", "Sanya", "吉阳区 天涯区 海棠区 崖州区", "0898", "572000"),
        ),
    ),
    Province(
        "50", "重庆市", "重庆", "渝", "Chongqing", MUNICIPALITY, "southwest",
        (_c("重庆市", "Chongqing", "渝中区 江北区 九龙坡区 渝北区 南岸区", "023", "400000"),),
    ),
    Province(
        "51", "四川省", "四川", "川", "Sichuan", PROVINCE, "southwest",
        (
            _c("成都市", "Chengdu", "锦江区 青羊区 金牛区 武侯区 成华区", "028", "610000"),
            _c("绵阳市", "Mianyang", "涪城区 游仙区", "0816", "621000", 7),
        ),
    ),
    Province(
        "52", "贵州省", "贵州", "黔", "Guizhou", PROVINCE, "southwest",
        (_c("贵阳市", "Guiyang", "南明区 云岩区 观山湖区", "0851", "550000"),),
    ),
    Province(
        "53", "云南省", "云南", "滇", "Yunnan", PROVINCE, "southwest",
        (
            _c("昆明市", "Kunming", "五华区 盘龙区 官渡区 西山区", "0871", "650000"),
            _c("曲靖市", "Qujing", "麒麟区 沾益区 马龙区", "0874", "655000", 7),
        ),
    ),
    Province("54", "西藏自治区", "西藏", "藏", "Xizang", AUTONOMOUS_REGION, "southwest"),
    Province(
        "61", "陕西省", "陕西", "陕", "Shaanxi", PROVINCE, "northwest",
        (
            _c("西安市", "Xi'an", "新城区 碑林区 莲湖区 雁塔区 未央区", "029", "710000"),
            _c("宝鸡市", "Baoji", "渭滨区 金台区 陈仓区", "0917", "721000", 7),
        ),
    ),
    Province(
        "62", "甘肃省", "甘肃", "甘", "Gansu", PROVINCE, "northwest",
        (_c("兰州市", "Lanzhou", "城关区 七里河区 安宁区", "0931", "730000", 7),),
    ),
    Province("63", "青海省", "青海", "青", "Qinghai", PROVINCE, "northwest"),
    Province("64", "宁夏回族自治区", "宁夏", "宁", "Ningxia", AUTONOMOUS_REGION, "northwest"),
    Province(
        "65", "新疆维吾尔自治区", "新疆", "新", "Xinjiang", AUTONOMOUS_REGION, "northwest",
        (_c("乌鲁木齐市", "Urumqi", "天山区 沙依巴克区 新市区", "0991", "830000", 7),),
    ),
    Province("71", "台湾省", "台湾", "台", "Taiwan", PROVINCE, "hk_mo_tw"),
    Province(
        "81", "香港特别行政区", "香港", "港", "Hong Kong", SAR, "hk_mo_tw",
        (
            _c("香港岛", "Hong Kong Island", "中西区 湾仔区 东区 南区", None, None),
            _c("九龙", "Kowloon", "油尖旺区 深水埗区 九龙城区 观塘区", None, None),
            _c("新界", "New Territories", "沙田区 荃湾区 葵青区", None, None),
        ),
    ),
    Province("82", "澳门特别行政区", "澳门", "澳", "Macao", SAR, "hk_mo_tw"),
)  # fmt: skip

PROVINCES_BY_NAME: dict[str, Province] = {p.name: p for p in PROVINCES}

# Every spelling normalise_province accepts: full, short, abbreviation, English.
_ALIASES: dict[str, Province] = {}
for _p in PROVINCES:
    for _alias in (_p.name, _p.short, _p.abbr, _p.en.lower()):
        _ALIASES.setdefault(_alias, _p)
_ALIASES.setdefault("xizang", PROVINCES_BY_NAME["西藏自治区"])
_ALIASES.setdefault("tibet", PROVINCES_BY_NAME["西藏自治区"])
_ALIASES.setdefault("macau", PROVINCES_BY_NAME["澳门特别行政区"])


def province(name: str) -> Province | None:
    """The province for a full or short name, abbreviation or English name, else None."""
    text = (name or "").strip()
    if not text:
        return None
    hit = _ALIASES.get(text) or _ALIASES.get(text.lower())
    if hit is None and text.endswith(("省", "市")):
        hit = _ALIASES.get(text[:-1])
    return hit


def normalise_province(name: str) -> str | None:
    """The official full name (``粤`` / ``广东`` / ``Guangdong`` → ``广东省``), else None."""
    p = province(name)
    return p.name if p else None


def region_of(province_name: str) -> str | None:
    """The sales region key (``east_china`` …) of a province given in any accepted spelling."""
    p = province(province_name)
    return p.region if p else None


def city(province_name: str, city_name: str) -> City | None:
    """A listed city of a province; ``深圳`` finds ``深圳市``."""
    p = province(province_name)
    if p is None:
        return None
    for c in p.cities:
        if city_name in (c.name, c.name.removesuffix("市"), c.en):
            return c
    return None


def cities() -> list[tuple[Province, City]]:
    """Every listed (province, city) pair."""
    return [(p, c) for p in PROVINCES for c in p.cities]


def is_known_address(province_name: str, city_name: str, district: str | None = None) -> bool:
    """Whether province/city (and district, when given) are listed here and belong together."""
    c = city(province_name, city_name)
    return c is not None and (district is None or district in c.districts)
