from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('store', '0002_promotions_loyalty_reviews_support_accounts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StaffInvite',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code_hash', fields.CharField(unique=True, max_length=64)),
                ('shop', fields.ForeignKeyField('store.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('invited_by', fields.ForeignKeyField('store.Person', source_field='invited_by_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('used_by', fields.ForeignKeyField('store.Person', source_field='used_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'staff_invite', 'app': 'store', 'pk_attr': 'id', 'table_description': 'A one-time code the owner hands a new staff member, who sends /joinstaff <code>.'},
            bases=['Model'],
        ),
    ]
