//! Building blocks shared by several pages.

pub mod copy_button;
pub mod forms;
pub mod layout;
pub mod refusal;
