from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('store', '0004_shop_pay_note')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Shop',
            name='free_shipping_over',
            field=fields.DecimalField(null=True, max_digits=12, decimal_places=2),
        ),
        ops.AddField(
            model_name='Shop',
            name='shipping_fee',
            field=fields.DecimalField(default=0, db_default=0, max_digits=12, decimal_places=2),
        ),
    ]
