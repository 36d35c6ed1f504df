//! tlsdoctor library
