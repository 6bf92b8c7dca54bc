"""The index of stored instances: one row each, with the attributes queries need.

`attributes` (what is kept), `database` (SQLite or PostgreSQL), `schema` (migrations),
`query` (matching rules), `index` (rows, compare-and-swap), `levels` (studies and series with
their aggregates).
"""

from .attributes import ATTRIBUTES, BY_KEYWORD, Attribute, KeyAttributes, from_dataset
from .database import Database, connect
from .index import Index, Page, Record, Row, UidClash
from .query import QueryError, where

__all__ = ["ATTRIBUTES", "BY_KEYWORD", "Attribute", "Database", "Index", "KeyAttributes",
           "Page", "QueryError", "Record", "Row", "UidClash", "connect", "from_dataset",
           "where"]
