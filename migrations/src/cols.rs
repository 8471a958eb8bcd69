//! Column shapes shared by the migrations, so every table spells its ids and times alike.

use sea_orm_migration::prelude::*;

/// `bigserial primary key` on PostgreSQL, `integer primary key autoincrement` on SQLite.
pub fn id<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

/// `bigint not null` (a reference to another table's id).
pub fn fk<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

/// `bigint null`.
pub fn fk_null<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().to_owned()
}

/// `text not null`.
pub fn text<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).text().not_null().to_owned()
}

/// `text null`.
pub fn text_null<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).text().null().to_owned()
}

/// `timestamptz not null`.
pub fn ts<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

/// `timestamptz null`.
pub fn ts_null<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

/// `integer not null default N`.
pub fn int_default<T: IntoIden>(name: T, default: i32) -> ColumnDef {
    ColumnDef::new(name)
        .integer()
        .not_null()
        .default(default)
        .to_owned()
}

/// `bigint not null default 0` (a counter).
pub fn counter<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

/// `boolean not null default false`.
pub fn flag<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .boolean()
        .not_null()
        .default(false)
        .to_owned()
}

/// A foreign key from `from_table.from_col` to `to_table.id`.
pub fn foreign<A: IntoIden, B: IntoIden, C: IntoIden>(
    from_table: A,
    from_col: B,
    to_table: C,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from_tbl(from_table)
        .from_col(from_col)
        .to_tbl(to_table)
        .to_col(Alias::new("id"))
        .on_delete(on_delete)
        .to_owned()
}

/// `jsonb not null` on PostgreSQL, JSON text on SQLite.
pub fn json<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).json_binary().not_null().to_owned()
}

/// `jsonb null` on PostgreSQL, JSON text on SQLite.
pub fn json_null<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).json_binary().null().to_owned()
}

/// A named (optionally unique) index over `cols` of `table`.
pub fn index<T: IntoIden + Clone, C: IntoIden + Clone>(
    name: &str,
    table: T,
    cols: &[C],
    unique: bool,
) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(col.clone());
    }
    if unique {
        stmt.unique();
    }
    stmt.to_owned()
}

/// Drops `tables` in order (a migration's `down`).
pub async fn drop_tables(manager: &SchemaManager<'_>, tables: Vec<DynIden>) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(table).to_owned())
            .await?;
    }
    Ok(())
}
