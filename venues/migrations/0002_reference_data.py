from django.db import migrations

# (code, kk, ru, en)
REGIONS = [
    ("astana", "Астана", "Астана", "Astana"),
    ("almaty", "Алматы", "Алматы", "Almaty"),
    ("shymkent", "Шымкент", "Шымкент", "Shymkent"),
    ("abai", "Абай облысы", "Абайская область", "Abai Region"),
    ("akmola", "Ақмола облысы", "Акмолинская область", "Akmola Region"),
    ("aktobe", "Ақтөбе облысы", "Актюбинская область", "Aktobe Region"),
    ("almaty-region", "Алматы облысы", "Алматинская область", "Almaty Region"),
    ("atyrau", "Атырау облысы", "Атырауская область", "Atyrau Region"),
    (
        "east-kazakhstan",
        "Шығыс Қазақстан облысы",
        "Восточно-Казахстанская область",
        "East Kazakhstan Region",
    ),
    ("jambyl", "Жамбыл облысы", "Жамбылская область", "Jambyl Region"),
    ("jetisu", "Жетісу облысы", "Область Жетысу", "Jetisu Region"),
    ("karaganda", "Қарағанды облысы", "Карагандинская область", "Karaganda Region"),
    ("kostanay", "Қостанай облысы", "Костанайская область", "Kostanay Region"),
    ("kyzylorda", "Қызылорда облысы", "Кызылординская область", "Kyzylorda Region"),
    ("mangystau", "Маңғыстау облысы", "Мангистауская область", "Mangystau Region"),
    (
        "north-kazakhstan",
        "Солтүстік Қазақстан облысы",
        "Северо-Казахстанская область",
        "North Kazakhstan Region",
    ),
    ("pavlodar", "Павлодар облысы", "Павлодарская область", "Pavlodar Region"),
    ("turkistan", "Түркістан облысы", "Туркестанская область", "Turkistan Region"),
    ("ulytau", "Ұлытау облысы", "Область Улытау", "Ulytau Region"),
    (
        "west-kazakhstan",
        "Батыс Қазақстан облысы",
        "Западно-Казахстанская область",
        "West Kazakhstan Region",
    ),
]

# (code, essential, PCR mandatory by default, kk, ru, en)
CATEGORIES = [
    ("grocery", True, False, "Азық-түлік дүкені", "Продуктовый магазин", "Grocery store"),
    (
        "household",
        True,
        False,
        "Тұрмыстық тауарлар дүкені",
        "Магазин хозяйственных товаров",
        "Household goods store",
    ),
    ("pharmacy", True, False, "Дәріхана", "Аптека", "Pharmacy"),
    ("cafe", False, True, "Кафе, мейрамхана", "Кафе, ресторан", "Café or restaurant"),
    ("gym", False, True, "Спорт залы, фитнес", "Спортзал, фитнес-центр", "Gym or fitness centre"),
    ("pool", False, True, "Бассейн", "Бассейн", "Swimming pool"),
    ("sauna", False, True, "Монша, сауна", "Баня, сауна", "Bath house or sauna"),
    ("cinema", False, True, "Кинотеатр", "Кинотеатр", "Cinema"),
    (
        "theatre",
        False,
        True,
        "Театр, концерт залы",
        "Театр, концертный зал",
        "Theatre or concert hall",
    ),
    (
        "entertainment",
        False,
        True,
        "Ойын-сауық орталығы",
        "Развлекательный центр",
        "Entertainment centre",
    ),
    ("mall", False, False, "Сауда орталығы", "Торговый центр", "Shopping mall"),
    ("market", False, False, "Базар", "Рынок", "Market"),
    ("clothing", False, False, "Киім дүкені", "Магазин одежды", "Clothing store"),
    ("electronics", False, False, "Электроника дүкені", "Магазин электроники", "Electronics store"),
    ("beauty", False, False, "Сұлулық салоны", "Салон красоты", "Beauty salon"),
    ("office", False, False, "Кеңсе", "Офис", "Office"),
    ("bank", False, False, "Банк", "Банк", "Bank"),
    ("hotel", False, False, "Қонақ үй", "Гостиница", "Hotel"),
    (
        "public-service",
        False,
        False,
        "Халыққа қызмет көрсету орталығы",
        "Центр обслуживания населения",
        "Public service centre",
    ),
    ("clinic", False, False, "Емхана", "Поликлиника", "Clinic"),
    ("education", False, False, "Оқу орталығы", "Учебный центр", "Training centre"),
    ("worship", False, False, "Ғибадат үйі", "Место богослужения", "Place of worship"),
    ("transport", False, False, "Вокзал, әуежай", "Вокзал, аэропорт", "Station or airport"),
    (
        "car-service",
        False,
        False,
        "Автосервис, көлік жуу",
        "Автосервис, автомойка",
        "Car service or car wash",
    ),
    ("other", False, False, "Басқа", "Другое", "Other"),
]


def load(apps, schema_editor):
    Region = apps.get_model("venues", "Region")
    Category = apps.get_model("venues", "Category")
    for code, kk, ru, en in REGIONS:
        Region.objects.update_or_create(
            code=code, defaults={"name": kk, "name_kk": kk, "name_ru": ru, "name_en": en}
        )
    for order, (code, essential, pcr, kk, ru, en) in enumerate(CATEGORIES):
        Category.objects.update_or_create(
            code=code,
            defaults={
                "name": kk,
                "name_kk": kk,
                "name_ru": ru,
                "name_en": en,
                "essential": essential,
                "pcr_required_default": pcr,
                "ordering": order * 10,
            },
        )


def unload(apps, schema_editor):
    apps.get_model("venues", "Region").objects.filter(code__in=[r[0] for r in REGIONS]).delete()
    apps.get_model("venues", "Category").objects.filter(
        code__in=[c[0] for c in CATEGORIES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("venues", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
