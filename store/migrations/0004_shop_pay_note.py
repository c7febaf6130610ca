from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('store', '0003_staff_invites')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Shop',
            name='pay_note',
            field=fields.CharField(default='', db_default='', max_length=300),
        ),
    ]
