"""Search folds Arabic's tatweel and letter variants from now on: the search column of a row
that holds Arabic script is folded again (folding a folded text gives what folding the
original gives, so the column is enough)."""

from django.db import migrations

from tracker.text import fold

SEARCHABLE = ["Source", "Organisation", "Person", "Agreement", "Commitment"]


def refold_arabic(apps, schema_editor):
    for name in SEARCHABLE:
        model = apps.get_model("tracker", name)
        rows = model.objects.filter(search_text__regex=r"[\u0600-\u06ff]").only("search_text")
        changed = []
        for row in rows.iterator(chunk_size=1000):
            folded = fold(row.search_text)
            if folded != row.search_text:
                row.search_text = folded
                changed.append(row)
        model.objects.bulk_update(changed, ["search_text"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0013_commitment_slug_made_when_empty"),
    ]

    operations = [
        migrations.RunPython(refold_arabic, migrations.RunPython.noop, elidable=True),
    ]
