//! A server's global parameters as the server holds them now (issue 13 item 3). Changes go
//! through the bulk change (`BulkOp::Params`), whose preview and safe write every server
//! change shares.
use serde_json::Value;

use crate::model::server_params::{self, Param, PARAMS};

use super::{OpError, Session};

/// One parameter and its value on the server (`None`: not in its configuration).
#[derive(Clone, Debug, PartialEq)]
pub struct ParamValue {
    pub param: &'static Param,
    pub value: Option<Value>,
}

impl ParamValue {
    pub fn shown(&self) -> String {
        server_params::shown(self.value.as_ref())
    }
}

impl Session {
    /// The server's own option definitions (`option-def`).
    pub async fn option_defs(
        &self,
        server: &str,
    ) -> Result<Vec<crate::model::option_defs::CustomOptionDef>, OpError> {
        let outline = self.recent_config(server).await?.outline()?;
        let dhcp4 = outline
            .get("Dhcp4")
            .ok_or_else(|| OpError::Refused(format!("{server} answered a config with no Dhcp4")))?;
        Ok(crate::model::option_defs::CustomOptionDef::list_from(dhcp4))
    }

    /// Every parameter of [`PARAMS`] with its value in the server's running configuration.
    pub async fn server_params(&self, server: &str) -> Result<Vec<ParamValue>, OpError> {
        let reply = self.recent_config(server).await?;
        // The outline: globals whole, subnets as id and prefix only (a big server's
        // subnets are never parsed to show its globals).
        let outline = reply.outline()?;
        let dhcp4 = outline
            .get("Dhcp4")
            .ok_or_else(|| OpError::Refused(format!("{server} answered a config with no Dhcp4")))?;
        Ok(PARAMS
            .iter()
            .map(|p| ParamValue {
                param: p,
                value: server_params::get(dhcp4, p.name).cloned(),
            })
            .collect())
    }
}
