"""The survey schema shared by all partners (Camtrap DP 1.0 terms)

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 03:50:52.445316
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('country', sa.String(length=3), nullable=True),
    sa.Column('names', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner')),
    sa.UniqueConstraint('code', name=op.f('uq_partner_code'))
    )
    op.create_table('species',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scientific_name', sa.String(length=255), nullable=False),
    sa.Column('rank', sa.String(length=32), nullable=True),
    sa.Column('group', sa.String(length=32), nullable=True),
    sa.Column('sensitive', sa.Boolean(), nullable=False),
    sa.Column('name_en', sa.String(length=255), nullable=True),
    sa.Column('name_ru', sa.String(length=255), nullable=True),
    sa.Column('name_zh', sa.String(length=255), nullable=True),
    sa.Column('name_mn', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_species')),
    sa.UniqueConstraint('scientific_name', name=op.f('uq_species_scientific_name'))
    )
    op.create_table('individual',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('species_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('sex', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['species_id'], ['species.id'], name=op.f('fk_individual_species_id_species')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_individual')),
    sa.UniqueConstraint('species_id', 'code', name=op.f('uq_individual_species_id_code'))
    )
    op.create_table('intake_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('format', sa.String(length=32), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=True),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_intake_batch_partner_id_partner'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_batch'))
    )
    op.create_table('project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=255), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('descriptor', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_project_partner_id_partner'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project')),
    sa.UniqueConstraint('partner_id', 'code', name=op.f('uq_project_partner_id_code'))
    )
    op.create_table('station',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.Column('coordinate_uncertainty', sa.Integer(), nullable=True),
    sa.Column('country', sa.String(length=3), nullable=True),
    sa.Column('protected_area', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_station_partner_id_partner'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_station')),
    sa.UniqueConstraint('partner_id', 'code', name=op.f('uq_station_partner_id_code'))
    )
    op.create_table('deployment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=255), nullable=False),
    sa.Column('start_utc', sa.DateTime(), nullable=False),
    sa.Column('end_utc', sa.DateTime(), nullable=False),
    sa.Column('utc_offset', sa.SmallInteger(), nullable=False),
    sa.Column('setup_by', sa.String(length=255), nullable=True),
    sa.Column('camera_id', sa.String(length=255), nullable=True),
    sa.Column('camera_model', sa.String(length=255), nullable=True),
    sa.Column('camera_delay', sa.Integer(), nullable=True),
    sa.Column('camera_height', sa.Float(), nullable=True),
    sa.Column('camera_depth', sa.Float(), nullable=True),
    sa.Column('camera_tilt', sa.Integer(), nullable=True),
    sa.Column('camera_heading', sa.Integer(), nullable=True),
    sa.Column('detection_distance', sa.Float(), nullable=True),
    sa.Column('timestamp_issues', sa.Boolean(), nullable=True),
    sa.Column('bait_use', sa.Boolean(), nullable=True),
    sa.Column('feature_type', sa.String(length=32), nullable=True),
    sa.Column('habitat', sa.Text(), nullable=True),
    sa.Column('groups', sa.Text(), nullable=True),
    sa.Column('tags', sa.Text(), nullable=True),
    sa.Column('comments', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_deployment_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_deployment_station_id_station')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deployment')),
    sa.UniqueConstraint('project_id', 'source_id', name=op.f('uq_deployment_project_id_source_id'))
    )
    with op.batch_alter_table('deployment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deployment_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deployment_station_id'), ['station_id'], unique=False)

    op.create_table('individual_alias',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('individual_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('species_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['individual_id'], ['individual.id'], name=op.f('fk_individual_alias_individual_id_individual'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_individual_alias_partner_id_partner'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['species_id'], ['species.id'], name=op.f('fk_individual_alias_species_id_species')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_individual_alias')),
    sa.UniqueConstraint('partner_id', 'species_id', 'code', name=op.f('uq_individual_alias_partner_id_species_id_code'))
    )
    with op.batch_alter_table('individual_alias', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_individual_alias_individual_id'), ['individual_id'], unique=False)

    op.create_table('deployment_outage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.Column('start_utc', sa.DateTime(), nullable=False),
    sa.Column('end_utc', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployment.id'], name=op.f('fk_deployment_outage_deployment_id_deployment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deployment_outage')),
    sa.UniqueConstraint('deployment_id', 'start_utc', name=op.f('uq_deployment_outage_deployment_id_start_utc'))
    )
    with op.batch_alter_table('deployment_outage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deployment_outage_deployment_id'), ['deployment_id'], unique=False)

    op.create_table('media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=255), nullable=False),
    sa.Column('capture_method', sa.String(length=32), nullable=True),
    sa.Column('timestamp_utc', sa.DateTime(), nullable=False),
    sa.Column('utc_offset', sa.SmallInteger(), nullable=False),
    sa.Column('file_path', sa.Text(), nullable=False),
    sa.Column('file_public', sa.Boolean(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('file_mediatype', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('exif', sa.Text(), nullable=True),
    sa.Column('favorite', sa.Boolean(), nullable=True),
    sa.Column('comments', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployment.id'], name=op.f('fk_media_deployment_id_deployment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media')),
    sa.UniqueConstraint('deployment_id', 'source_id', name=op.f('uq_media_deployment_id_source_id'))
    )
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_sha256'), ['sha256'], unique=False)

    op.create_table('observation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=True),
    sa.Column('source_id', sa.String(length=255), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=True),
    sa.Column('event_start_utc', sa.DateTime(), nullable=False),
    sa.Column('event_end_utc', sa.DateTime(), nullable=False),
    sa.Column('utc_offset', sa.SmallInteger(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('camera_setup_type', sa.String(length=16), nullable=True),
    sa.Column('species_id', sa.Integer(), nullable=True),
    sa.Column('count', sa.Integer(), nullable=True),
    sa.Column('life_stage', sa.String(length=16), nullable=True),
    sa.Column('sex', sa.String(length=16), nullable=True),
    sa.Column('behavior', sa.Text(), nullable=True),
    sa.Column('individual_id', sa.Integer(), nullable=True),
    sa.Column('position_radius', sa.Float(), nullable=True),
    sa.Column('position_angle', sa.Float(), nullable=True),
    sa.Column('speed', sa.Float(), nullable=True),
    sa.Column('bbox_x', sa.Float(), nullable=True),
    sa.Column('bbox_y', sa.Float(), nullable=True),
    sa.Column('bbox_width', sa.Float(), nullable=True),
    sa.Column('bbox_height', sa.Float(), nullable=True),
    sa.Column('classification_method', sa.String(length=16), nullable=True),
    sa.Column('classified_by', sa.String(length=255), nullable=True),
    sa.Column('classification_timestamp', sa.String(length=40), nullable=True),
    sa.Column('classification_probability', sa.Float(), nullable=True),
    sa.Column('tags', sa.Text(), nullable=True),
    sa.Column('comments', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployment.id'], name=op.f('fk_observation_deployment_id_deployment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['individual_id'], ['individual.id'], name=op.f('fk_observation_individual_id_individual')),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_observation_media_id_media'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['species_id'], ['species.id'], name=op.f('fk_observation_species_id_species')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observation')),
    sa.UniqueConstraint('deployment_id', 'source_id', name=op.f('uq_observation_deployment_id_source_id'))
    )
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_observation_individual_id'), ['individual_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_observation_media_id'), ['media_id'], unique=False)
        batch_op.create_index('ix_observation_species_start', ['species_id', 'event_start_utc'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.drop_index('ix_observation_species_start')
        batch_op.drop_index(batch_op.f('ix_observation_media_id'))
        batch_op.drop_index(batch_op.f('ix_observation_individual_id'))

    op.drop_table('observation')
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_sha256'))

    op.drop_table('media')
    with op.batch_alter_table('deployment_outage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deployment_outage_deployment_id'))

    op.drop_table('deployment_outage')
    with op.batch_alter_table('individual_alias', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_individual_alias_individual_id'))

    op.drop_table('individual_alias')
    with op.batch_alter_table('deployment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deployment_station_id'))
        batch_op.drop_index(batch_op.f('ix_deployment_project_id'))

    op.drop_table('deployment')
    op.drop_table('station')
    op.drop_table('project')
    op.drop_table('intake_batch')
    op.drop_table('individual')
    op.drop_table('species')
    op.drop_table('partner')
