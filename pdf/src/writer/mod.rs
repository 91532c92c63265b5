//! Writing PDF: object syntax (ISO 32000-2 §7.3) and incremental updates (§7.5.6).

mod counting;
mod incremental;
pub mod serialize;

pub use incremental::{
    write_incremental, IncrementalUpdate, RevisionBase, WrittenRevision, COPY_BUFFER,
};

pub(crate) use counting::Counting;
