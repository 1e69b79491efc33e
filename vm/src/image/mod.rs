//! Images: the world saved to a file and booted by mapping it back.
//!
//! [`mod@format`] owns the file layout and its checks, [`save`] writes a file
//! so that a crash never harms the previous one, [`boot`] maps a file (or
//! copies embedded bytes) into a new heap with no per-object work, and
//! [`verify`] is the full structural check behind `smalt image verify`;
//! [`delta`] saves and boots delta images, the pages changed over a base.

pub mod boot;
pub mod delta;
pub mod format;
pub mod save;
pub mod verify;

pub use format::{has_image_magic, ImageError, ImageHeader};
