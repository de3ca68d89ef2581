"""What the generator composes appeals from: the per-class material and the pieces all classes share.

Each class has several distinct *scenarios* (different situations, not one sentence with slots),
*details* that a caller adds when they go on talking, *short* forms (a title, a text message),
*asides* (how the topic is mentioned in passing inside an appeal about something else), its
*neighbours* (the classes a dispatcher confuses it with) and a relative *weight* (how often it
comes in). Template syntax: see grammar.py.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ClassMaterial:
    code: str
    name: str
    group: str  # "city_management" or "hotline"
    department: str  # a function key of bohai/kernel/organisations/data/departments.csv
    description: str
    scenarios: list[str]
    details: list[str]
    short: list[str]
    asides: list[str]
    neighbours: list[str] = field(default_factory=list)
    weight: float = 1.0


# --- shared pieces ---------------------------------------------------------------------------

OPENINGS = [
    "", "", "", "", "", "", "您好，", "你好，", "喂，你好，", "我想反映个问题，", "我要投诉，", "麻烦问一下，",
    "我反映一下，", "领导好，", "打扰了，", "我再反映一次，", "有个事想问问，", "求助：", "【投诉】", "紧急！",
    "网友留言：", "你好我想反映一下，", "喂喂，能听见吗，", "同志你好，", "市长您好，", "我要举报，", "咨询一下，",
    "你们好，", "我是老百姓，想说个事，", "【建议】", "12345你好，",
]
INTROS = [
    "我是{compound}的住户，", "我住在{place}，", "我是{district}的，", "我家在{village}，", "我是{compound}{building}的，",
    "我是个退休老人，", "我在{place}上班，", "俺是{town}的，", "我是外地来沧州打工的，", "我是一个宝妈，",
    "我家老人住在{place}，", "本人住{compound}，",
]
HISTORIES = [
    "这个问题{since}就反映过，", "之前打过好几次电话了，", "[给社区|给居委会|给村里]打过电话，", "在网上留过言，",
    "上次打12345说转给相关部门了，", "找过[社区|物业|村委会|街道]，", "已经[第三次|第二次|好几次]反映了，",
]
HISTORY_ENDS = [
    "一直没人来", "答复说已经处理了其实根本没解决", "说不归他们管", "让等着等着就没下文了", "来人看了一眼就走了",
    "推来推去的", "到现在也没个说法",
]
IMPACTS = [
    "老人孩子出门太不方便了", "大家意见都很大", "周围邻居都有意见", "真是没办法了", "这都多长时间了",
    "我们老百姓也不知道该找谁", "实在是受不了了", "影响太大了", "心里特别着急", "一家人都跟着上火",
    "忒闹心了", "这日子咋过啊", "俺们实在没辙了",
]
DEMANDS = [
    "", "", "", "请尽快处理。", "希望相关部门管一管。", "麻烦派人来看看。", "请给个说法。", "谢谢！",
    "到底有没有人管？", "希望早点解决，谢谢。", "请尽快回复。", "不要再推来推去了。", "请督促解决。", "盼复。",
    "能不能给解决一下。", "请相关部门重视！", "麻烦了，谢谢你们。", "希望给个答复。", "拜托了！", "尽快吧。",
    "这事儿咋就没人管呢？", "啥时候能给弄好啊？",
]
# What a caller who talks at length adds around the problem itself.
STORY_OPENERS = [
    "我今年七十多了，腿脚也不好，", "我们这栋楼一共住了三十多户，大部分都是老人，", "白天我上班不在家，晚上回来才发现，",
    "说实话我也不想老打电话麻烦你们，", "我们都是普通老百姓，没别的办法，", "我在这儿住了二十多年了，以前从来没这样过，",
    "我跟周围的邻居都商量过了，大家都同意我来反映，", "我长话短说，",
]
STORY_FILLERS = [
    "我也知道你们工作忙，但是这个事确实拖不起了，", "这个事说大不大说小不小，可天天这样谁受得了，",
    "我把照片和视频都留着呢，需要的话可以发给你们，", "你们可以派人来现场看看，一看就知道了，",
    "去年这时候也出过一样的事，当时说是临时处理了一下，", "我就想问问这到底归哪个部门管，",
]
# After the first mention of the place a caller says "here".
PLACE_AGAIN = ["这儿", "我们这儿", "那边", "这一片", "那个地方"]
SECOND_LEADS = ["而且", "还有，", "再就是", "不光这样，", "最气人的是，", "另外同一个事，"]
ASIDE_LEADS = ["另外，{}。", "还有就是{}。", "顺便反映一下，{}。", "{}，这个也麻烦一起看看。", "对了，{}。", "再一个，{}。"]

# Pinyin input slips and common miswritings, applied to a share of the texts.
TYPOS = {
    "垃圾": "拉圾", "噪音": "躁音", "暖气": "暖器", "煤气": "媒气", "燃气": "燃汽", "投诉": "投述", "反映": "反应",
    "已经": "以经", "路灯": "路等", "社保": "设保", "医保": "医宝", "物业": "物页", "井盖": "景盖", "扰民": "绕民",
    "情况": "请况", "处理": "出理", "解决": "解绝", "严重": "言重", "问题": "文题", "部门": "不门", "公积金": "公基金",
    "油烟": "油盐", "占道": "站道", "渣土": "扎土", "停电": "停店", "供暖": "公暖", "户口": "户扣", "工资": "公资",
    "施工": "实工", "小区": "小取", "再": "在", "那": "哪", "的": "得",
}

# Vague appeals: texts that fit each of the listed classes (a dispatcher would have to ask back).
# The generator writes them for one class of the group and labels them so; a model cannot tell
# which, so they put a ceiling below 100 % on top-1 (and usually not on top-3).
AMBIGUOUS = [
    (["street_light", "power_supply"], [
        "{place}晚上黑乎乎的[，啥也看不见|，走路都害怕|，怎么回事]", "晚上[一片漆黑|黑灯瞎火的]，[是不是坏了|怎么回事|咋没人管]",
        "{place}灯[全灭了|都不亮了][，黑得吓人|，快来看看|]"]),
    (["noise_nuisance", "construction_noise"], [
        "{place}[太吵了|吵死了][，晚上睡不着|，没法休息|]", "[天天|每天晚上]叮叮咣咣的[，吵得要命|，受不了了]",
        "{place}半夜[还在|总有][咣咣|轰轰]的声音"]),
    (["heating", "property_management"], [
        "{compound}家里冷得很，[物业|找物业]也不管", "{compound}[屋里|家里]太冷了[，交了钱|，报修了]也没人管"]),
    (["waterlogging", "sewer_overflow", "water_supply"], [
        "{place}到处是水[，也没人管|，走不了路|]", "{place}[路上|小区里]好多水[，怎么回事|，快来看看]"]),
    (["illegal_parking", "street_vending", "material_piling"], [
        "{place}[路上|门口]被堵死了[，车过不去|，人都走不了|]", "{place}[人行道|路]都被占满了[，没法走|]"]),
    (["exposed_garbage", "sewer_overflow", "industrial_pollution"], [
        "{place}[臭得不行|有股臭味|味道太大了][，熏死人了|，受不了|]", "{place}[那边|]一股臭味，[好几天了|一直不散]"]),
    (["cooking_fumes", "industrial_pollution"], ["{place}[烟太大了|呛死人了|天天冒烟][，窗户都不敢开|]"]),
    (["unpaid_wages", "social_insurance"], ["{company}[欠我们的钱不给|的钱要不回来][，社保也没交|]", "在{company}干活的[钱|待遇]一直没给"]),
    (["medical_insurance", "medical_service"], ["看病[报销|花钱]的事想问一下", "在{hospital}看病[花了{money}|钱花了不少]，[这合理吗|想问问]"]),
    (["consumer_rights", "food_safety"], ["买的东西[坏了|有问题]，[吃了|用了]不舒服", "在{place}[超市|店里]买的东西[有问题|不合格]"]),
    (["housing_quality", "property_registration"], ["{compound}房子的事[一直没解决|开发商不管|拖了好几年]"]),
    (["household_registration", "education"], ["孩子[办户口|上学]的手续[办不下来|太麻烦了]"]),
    (["rural_land", "property_registration"], ["[村里的地|我家的地|宅基地]的事[一直没解决|想问问怎么办]"]),
    (["dogs", "noise_nuisance"], ["{place}[天天|半夜]有狗[叫|乱叫][，吵死了|]"]),
    (["fire_safety", "material_piling"], ["{compound}楼道[堵死了|过不去人][，全是东西|]"]),
    (["traffic_facility", "street_light"], ["{place}[的灯|那个灯][不亮了|坏了|一直闪]"]),
    (["public_transport", "taxi"], ["{place}[出门坐车|打车坐车][太难了|太贵了]"]),
    (["social_assistance", "social_insurance"], ["[老人的|我妈的][补贴|钱][没发|怎么领]"]),
    (["housing_fund", "social_insurance"], ["[公积金和社保|社保公积金][断了|没交][怎么办|]"]),
    (["road_damage", "manhole_cover"], ["{place}[路上|路面]有个[坑|窟窿][，太危险了|，快来人看看|]"]),
    (["muck_spill", "construction_noise"], ["{place}[地上|路上]全是[土|泥][，工地的|，也不知道哪来的|]"]),
    (["gas", "heating"], ["[燃气和暖气|暖气和燃气][都不行|有问题|老出毛病]"]),
    (["illegal_construction", "material_piling"], ["{place}有人[乱搭乱放|乱搭乱建|乱堆乱建][，没人管|]"]),
]
