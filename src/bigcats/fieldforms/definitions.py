"""The three field forms as data: survey rows, choice lists and settings, every text in the four languages.

One definition serves the XLSX a person edits (`xlsform.write_forms`) and the reader of submissions
(`submissions`), so a field's name means the same on the phone and in the store. Species choices come from the
shipped taxonomy (name = scientific name with underscores, labels = its four common names).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from bigcats.taxonomy import species_table

LANGUAGES = {"en": "English (en)", "ru": "Russian (ru)", "zh": "Chinese (zh)", "mn": "Mongolian (mn)"}
TEXT_COLUMNS = ("label", "hint", "constraint_message")
FORM_VERSION = "2026120101"

STATION_VISIT = "bigcats_station_visit"
TRACK_CENSUS = "bigcats_track_census"
INCIDENTAL_SIGN = "bigcats_incidental_sign"

# Texts: name -> (en, ru, zh, mn).
T = {
    "station_visit": ("Camera station visit", "Посещение фотоловушки", "红外相机站点巡查", "Камерын цэгийн шалгалт"),
    "track_census": ("Winter track census route", "Зимний маршрутный учёт", "冬季雪地足迹样线调查", "Өвлийн мөрийн тооллогын маршрут"),
    "incidental_sign": ("Incidental sign record", "Случайная встреча следов", "偶遇痕迹记录", "Санамсаргүй ул мөрийн бүртгэл"),
    "station": ("Station code", "Код станции", "站点编号", "Цэгийн код"),
    "camera_id": ("Camera serial number", "Серийный номер камеры", "相机序列号", "Камерын серийн дугаар"),
    "visit_type": ("Visit", "Тип посещения", "巡查类型", "Очилтын төрөл"),
    "visit_time": ("Date and time of the visit", "Дата и время посещения", "巡查日期和时间", "Очсон огноо, цаг"),
    "location": ("Position of the camera", "Координаты камеры", "相机位置", "Камерын байрлал"),
    "team": ("Team members", "Состав группы", "巡查人员", "Багийн гишүүд"),
    "camera_working": ("Was the camera working when you arrived?", "Работала ли камера, когда вы пришли?",
                       "到达时相机是否正常工作？", "Таныг ирэхэд камер ажиллаж байсан уу?"),
    "failure": ("Camera failure", "Неисправность камеры", "相机故障", "Камерын эвдрэл"),
    "failure_start": ("Camera stopped working on", "Камера перестала работать", "相机停止工作时间", "Камер ажиллахаа больсон огноо"),
    "failure_end": ("Camera worked again from (empty: not until this visit)",
                    "Камера снова работала с (пусто: не раньше этого посещения)",
                    "相机恢复工作时间（空：直到本次巡查）", "Камер дахин ажилласан огноо (хоосон: энэ очилт хүртэл)"),
    "failure_cause": ("Cause", "Причина", "原因", "Шалтгаан"),
    "card_battery": ("Memory card and battery", "Карта памяти и батареи", "存储卡和电池", "Санах ойн карт ба зай"),
    "card_id": ("Memory card label", "Метка карты памяти", "存储卡标签", "Санах ойн картын шошго"),
    "photos_on_card": ("Number of photos and videos on the card", "Число снимков и видео на карте",
                       "存储卡上的照片和视频数量", "Карт дээрх зураг, бичлэгийн тоо"),
    "card_replaced": ("Memory card replaced?", "Карта заменена?", "是否更换存储卡？", "Картыг сольсон уу?"),
    "battery_percent": ("Battery level (%)", "Заряд батареи (%)", "电池电量（%）", "Зайны цэнэг (%)"),
    "battery_replaced": ("Batteries replaced?", "Батареи заменены?", "是否更换电池？", "Зайг сольсон уу?"),
    "camera_height_cm": ("Camera height above ground (cm)", "Высота камеры над землёй (см)", "相机离地高度（厘米）",
                         "Камерын газраас өндөр (см)"),
    "camera_heading": ("Direction the camera faces (degrees)", "Направление камеры (градусы)", "相机朝向（度）",
                       "Камерын чиглэл (градус)"),
    "site_photo_1": ("Photo of the site", "Фото места установки", "站点照片", "Цэгийн зураг"),
    "site_photo_2": ("Second photo of the site", "Второе фото места", "站点第二张照片", "Цэгийн хоёр дахь зураг"),
    "notes": ("Notes", "Примечания", "备注", "Тэмдэглэл"),
    "route_id": ("Route code", "Код маршрута", "样线编号", "Маршрутын код"),
    "unit": ("Survey unit", "Учётный участок", "调查单元", "Тооллогын хэсэг"),
    "country": ("Country side", "Сторона границы", "国家", "Улс"),
    "survey_date": ("Date of the survey", "Дата учёта", "调查日期", "Тооллогын огноо"),
    "days_since_snow": ("Days since the last snowfall", "Дней после последнего снегопада", "距上次降雪天数",
                        "Сүүлийн цаснаас хойших өдөр"),
    "observer": ("Observer", "Учётчик", "调查员", "Ажиглагч"),
    "track": ("Walk the route (GPS track)", "Пройдите маршрут (GPS-трек)", "沿样线行走（GPS轨迹）",
              "Маршрутаар явна уу (GPS мөр)"),
    "crossing": ("Track crossing", "Пересечение следа", "足迹穿越", "Мөрийн огтлолцол"),
    "crossing_species": ("Species", "Вид", "物种", "Зүйл"),
    "crossing_count": ("Number of animals", "Число животных", "动物数量", "Амьтны тоо"),
    "direction": ("Direction of travel", "Направление хода", "行进方向", "Явсан чиглэл"),
    "pad_width_cm": ("Front pad width (cm)", "Ширина пятки передней лапы (см)", "前掌垫宽度（厘米）",
                     "Урд сарвууны улны өргөн (см)"),
    "snow_age_days": ("Age of the track (days)", "Давность следа (сутки)", "足迹时间（天）", "Мөрийн нас (хоног)"),
    "crossing_point": ("Position of the crossing", "Координаты пересечения", "穿越位置", "Огтлолцлын байрлал"),
    "crossing_photo": ("Photo of the track", "Фото следа", "足迹照片", "Мөрийн зураг"),
    "sign_time": ("Date and time", "Дата и время", "日期和时间", "Огноо, цаг"),
    "sign_location": ("Position", "Координаты", "位置", "Байрлал"),
    "sign_species": ("Species", "Вид", "物种", "Зүйл"),
    "sign_kind": ("What did you find?", "Что обнаружено?", "发现了什么？", "Юу олсон бэ?"),
    "sign_count": ("Number", "Количество", "数量", "Тоо"),
    "sign_photo": ("Photo", "Фото", "照片", "Зураг"),
    # constraint messages
    "msg_percent": ("A percentage from 0 to 100", "Процент от 0 до 100", "0到100之间的百分比", "0-100 хооронд хувь"),
    "msg_positive": ("Must be more than 0", "Должно быть больше 0", "必须大于0", "0-ээс их байх ёстой"),
    "msg_heading": ("Degrees from 0 to 359", "Градусы от 0 до 359", "0到359度", "0-359 градус"),
    "msg_count": ("At least 1", "Не меньше 1", "至少为1", "Дор хаяж 1"),
    "msg_failure": ("Must be before the visit", "Должно быть раньше посещения", "必须早于巡查时间",
                    "Очилтоос өмнө байх ёстой"),
    # choices
    "setup": ("Set-up", "Установка", "安装", "Суурилуулалт"),
    "check": ("Check", "Проверка", "检查", "Шалгалт"),
    "retrieval": ("Retrieval", "Снятие", "回收", "Буулгалт"),
    "yes": ("Yes", "Да", "是", "Тийм"),
    "no": ("No", "Нет", "否", "Үгүй"),
    "battery": ("Battery empty", "Разряжены батареи", "电池耗尽", "Зай дууссан"),
    "card_full": ("Memory card full", "Карта заполнена", "存储卡已满", "Карт дүүрсэн"),
    "damaged": ("Damaged by an animal or weather", "Повреждена животным или погодой", "被动物或天气损坏",
                "Амьтан эсвэл цаг агаарт гэмтсэн"),
    "stolen": ("Stolen", "Украдена", "被盗", "Хулгайлагдсан"),
    "knocked": ("Knocked over or moved", "Сбита или сдвинута", "被撞倒或移动", "Унасан эсвэл хөдөлсөн"),
    "covered": ("Covered by snow or vegetation", "Закрыта снегом или растениями", "被雪或植被遮挡",
                "Цас эсвэл ургамалд далдлагдсан"),
    "moisture": ("Moisture or frost", "Влага или иней", "受潮或结霜", "Чийг эсвэл хяруу"),
    "other": ("Other", "Другое", "其他", "Бусад"),
    "RUS": ("Russia", "Россия", "俄罗斯", "Орос"),
    "CHN": ("China", "Китай", "中国", "Хятад"),
    "MNG": ("Mongolia", "Монголия", "蒙古", "Монгол"),
    "N": ("North", "Север", "北", "Хойд"),
    "NE": ("North-east", "Северо-восток", "东北", "Зүүн хойд"),
    "E": ("East", "Восток", "东", "Зүүн"),
    "SE": ("South-east", "Юго-восток", "东南", "Зүүн өмнөд"),
    "S": ("South", "Юг", "南", "Өмнөд"),
    "SW": ("South-west", "Юго-запад", "西南", "Баруун өмнөд"),
    "W": ("West", "Запад", "西", "Баруун"),
    "NW": ("North-west", "Северо-запад", "西北", "Баруун хойд"),
    "track_sign": ("Tracks", "Следы", "足迹", "Мөр"),
    "scat": ("Scat", "Помёт", "粪便", "Баас"),
    "scrape": ("Scrape or scent mark", "Поскрёб или метка", "刨痕或气味标记", "Маажсан ором, үнэрийн тэмдэг"),
    "kill": ("Kill or carcass", "Добыча или остатки", "猎物残骸", "Идэш, сэг"),
    "hair": ("Hair", "Шерсть", "毛发", "Үс"),
    "sighting": ("Animal seen", "Встреча животного", "目击动物", "Амьтан харсан"),
    "snare": ("Snare or trap", "Петля или капкан", "猎套或陷阱", "Урхи, занга"),
    "camp": ("Poachers' camp", "Лагерь браконьеров", "盗猎者营地", "Хулгайн анчдын хуаран"),
    "shot": ("Shot heard or cartridge", "Выстрел или гильза", "枪声或弹壳", "Буудлага, хонгио"),
}
FAILURE_CAUSES = ("battery", "card_full", "damaged", "stolen", "knocked", "covered", "moisture", "other")
SIGN_KINDS = ("track_sign", "scat", "scrape", "kill", "hair", "sighting", "snare", "camp", "shot", "other")
THREAT_KINDS = frozenset({"snare", "camp", "shot"})
DIRECTIONS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


@dataclass
class Form:
    """One XLSForm: its id, title key, survey rows and choice lists (rows are column -> value)."""

    form_id: str
    title: str
    survey: list[dict] = field(default_factory=list)
    choices: list[dict] = field(default_factory=list)

    def settings(self) -> dict:
        """The settings sheet's one row."""
        return {"form_id": self.form_id, "version": FORM_VERSION, "default_language": LANGUAGES["en"],
                "instance_name": "concat(${%s}, ' ', ${%s})" % self.instance_fields(),
                # XLSForm's title is one string: the four languages side by side
                "form_title": " / ".join(T[self.title])}

    def instance_fields(self) -> tuple[str, str]:
        """The two fields that name a submission in Collect's list."""
        return {STATION_VISIT: ("station", "visit_time"), TRACK_CENSUS: ("route_id", "survey_date"),
                INCIDENTAL_SIGN: ("sign_kind", "sign_time")}[self.form_id]


def _texts(column: str, key: str) -> dict:
    return {f"{column}::{LANGUAGES[lang]}": text for lang, text in zip(LANGUAGES, T[key])}


def _row(type_: str, name: str, label: str | None = None, **extra) -> dict:
    row = {"type": type_, "name": name}
    if label is not None or type_.split()[0] not in ("end_group", "end_repeat", "calculate", "start", "end"):
        row.update(_texts("label", label or name))
    for col, value in extra.items():
        if col == "constraint_message":
            row.update(_texts("constraint_message", value))
        else:
            row[col] = value
    return row


def _choices(list_name: str, names) -> list[dict]:
    return [{"list_name": list_name, "name": n, **_texts("label", n)} for n in names]


def species_choices(list_name: str = "species") -> list[dict]:
    """Choices of the taxonomy's species (not higher ranks), named by scientific name with underscores."""
    table = species_table()
    table = table[table["rank"].isin(["species", "subspecies"])]
    out = []
    for _, sp in table.iterrows():
        row = {"list_name": list_name, "name": choice_name(sp["scientificName"])}
        row.update({f"label::{LANGUAGES[lang]}": sp[lang] if isinstance(sp[lang], str) and sp[lang] else
                    sp["scientificName"] for lang in LANGUAGES})
        out.append(row)
    return out


def choice_name(scientific_name: str) -> str:
    """An XLSForm choice name for a scientific name ('Panthera tigris altaica' -> 'Panthera_tigris_altaica')."""
    return scientific_name.strip().replace(" ", "_")


def scientific_name(choice: str) -> str:
    """The scientific name behind a species choice."""
    return choice.replace("_", " ").strip()


def station_visit() -> Form:
    """Camera-station visit: set-up, check or retrieval; a failure with its period; card, battery, site photos."""
    not_setup = "${visit_type} != 'setup'"
    failed = "${camera_working} = 'no'"
    survey = [
        _row("start", "start"), _row("end", "end"),
        _row("text", "station", required="yes"),
        _row("text", "camera_id", required="yes"),
        _row("select_one visit", "visit_type", required="yes"),
        _row("dateTime", "visit_time", required="yes", default="now()"),
        _row("geopoint", "location", required="${visit_type} = 'setup'"),
        _row("text", "team"),
        _row("select_one yes_no", "camera_working", relevant=not_setup, required="yes"),
        _row("begin_group", "failure", relevant=failed),
        _row("dateTime", "failure_start", required="yes", constraint=". <= ${visit_time}",
             constraint_message="msg_failure"),
        _row("dateTime", "failure_end", constraint=". <= ${visit_time} and . >= ${failure_start}",
             constraint_message="msg_failure"),
        _row("select_one cause", "failure_cause", required="yes"),
        _row("end_group", "failure"),
        _row("begin_group", "card_battery"),
        _row("text", "card_id"),
        _row("integer", "photos_on_card", relevant=not_setup, constraint=". >= 0", constraint_message="msg_count"),
        _row("select_one yes_no", "card_replaced", relevant=not_setup),
        _row("integer", "battery_percent", constraint=". >= 0 and . <= 100", constraint_message="msg_percent"),
        _row("select_one yes_no", "battery_replaced", relevant=not_setup),
        _row("end_group", "card_battery"),
        _row("integer", "camera_height_cm", relevant="${visit_type} = 'setup'", constraint=". > 0",
             constraint_message="msg_positive"),
        _row("integer", "camera_heading", relevant="${visit_type} = 'setup'", constraint=". >= 0 and . < 360",
             constraint_message="msg_heading"),
        _row("image", "site_photo_1", parameters="max-pixels=2048"),
        _row("image", "site_photo_2", parameters="max-pixels=2048"),
        _row("text", "notes"),
    ]
    choices = (_choices("visit", ("setup", "check", "retrieval")) + _choices("yes_no", ("yes", "no"))
               + _choices("cause", FAILURE_CAUSES))
    return Form(STATION_VISIT, "station_visit", survey, choices)


def track_census() -> Form:
    """Winter track-census route: the GPS track, then each crossing (species, count, direction, pad, age)."""
    cat = "selected(${crossing_species}, 'Panthera_tigris_altaica') or selected(${crossing_species}, " \
          "'Panthera_pardus_orientalis') or selected(${crossing_species}, 'Panthera_uncia')"
    survey = [
        _row("start", "start"), _row("end", "end"),
        _row("text", "route_id", required="yes"),
        _row("text", "unit", required="yes"),
        _row("select_one country", "country", required="yes"),
        _row("date", "survey_date", required="yes", default="today()"),
        _row("decimal", "days_since_snow", required="yes", constraint=". > 0", constraint_message="msg_positive"),
        _row("text", "observer"),
        _row("geotrace", "track", required="yes"),
        _row("begin_repeat", "crossing"),
        _row("select_one species", "crossing_species", required="yes"),
        _row("integer", "crossing_count", required="yes", default="1", constraint=". >= 1",
             constraint_message="msg_count"),
        _row("select_one direction", "direction"),
        _row("decimal", "pad_width_cm", relevant=cat, constraint=". > 0", constraint_message="msg_positive"),
        _row("decimal", "snow_age_days", constraint=". > 0", constraint_message="msg_positive"),
        _row("geopoint", "crossing_point"),
        _row("image", "crossing_photo", parameters="max-pixels=2048"),
        _row("end_repeat", "crossing"),
        _row("text", "notes"),
    ]
    choices = (_choices("country", ("RUS", "CHN", "MNG")) + _choices("direction", DIRECTIONS) + species_choices())
    return Form(TRACK_CENSUS, "track_census", survey, choices)


def incidental_sign() -> Form:
    """Incidental sign: what, where, when; threats (snares, camps, shots) need no species."""
    survey = [
        _row("start", "start"), _row("end", "end"),
        _row("dateTime", "sign_time", required="yes", default="now()"),
        _row("geopoint", "sign_location", required="yes"),
        _row("select_one sign", "sign_kind", required="yes"),
        _row("select_one species", "sign_species",
             required="not(selected(${sign_kind}, 'snare') or selected(${sign_kind}, 'camp') or "
                      "selected(${sign_kind}, 'shot') or selected(${sign_kind}, 'other'))"),
        _row("integer", "sign_count", default="1", constraint=". >= 1", constraint_message="msg_count"),
        _row("image", "sign_photo", parameters="max-pixels=2048"),
        _row("text", "notes"),
    ]
    return Form(INCIDENTAL_SIGN, "incidental_sign", survey, _choices("sign", SIGN_KINDS) + species_choices())


@lru_cache(maxsize=1)
def all_forms() -> tuple[Form, ...]:
    """The three forms bigcats writes and reads (built once: readers look them up per row)."""
    return (station_visit(), track_census(), incidental_sign())
