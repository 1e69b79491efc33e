//! Chunk format.
use crate::{Diagnostic, Item, Origin};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk;

pub fn split_chunks(_source: &str) -> Vec<Chunk> {
    Vec::new()
}

pub fn parse_chunk_file(_source: &str, _origin: &Origin) -> Result<Vec<Item>, Vec<Diagnostic>> {
    Ok(Vec::new())
}
