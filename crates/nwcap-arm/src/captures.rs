//! packetCaptures operations: create, get, list, queryStatus, stop, delete,
//! and waiting for a capture to finish.
//!
//! Create and stop/delete are long-running operations: the calls here return
//! once ARM says the operation is done, so a caller never has to know about
//! `Azure-AsyncOperation` or `Location`.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::client::{ArmClient, Raw, decode};
use crate::error::ArmError;
use crate::types::{
    PacketCapture, PacketCaptureProperties, PacketCaptureStatus, ProvisioningState,
};
use crate::validate::version::ApiVersion;
use crate::validate::{validate_name, validate_properties};

/// Resource group of the watchers Azure creates by itself.
pub const DEFAULT_WATCHER_RESOURCE_GROUP: &str = "NetworkWatcherRG";

/// A network watcher: subscription, resource group, name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatcherRef {
    /// Subscription id.
    pub subscription: String,
    /// Resource group.
    pub resource_group: String,
    /// Watcher name.
    pub name: String,
}

impl WatcherRef {
    /// The watcher Azure creates for a region: `NetworkWatcher_<region>` in `NetworkWatcherRG`.
    pub fn default_for_region(subscription: &str, region: &str) -> Self {
        Self {
            subscription: subscription.to_owned(),
            resource_group: DEFAULT_WATCHER_RESOURCE_GROUP.to_owned(),
            name: format!(
                "NetworkWatcher_{}",
                crate::types::normalize_location(region)
            ),
        }
    }

    /// A watcher from its resource id
    /// (`/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/networkWatchers/NAME`).
    pub fn from_id(id: &str) -> Option<Self> {
        let name = crate::types::id_segment(id, "networkWatchers")?;
        let is_network = id
            .to_ascii_lowercase()
            .contains("/providers/microsoft.network/");
        Some(Self {
            subscription: crate::types::id_segment(id, "subscriptions")?.to_owned(),
            resource_group: crate::types::id_segment(id, "resourceGroups")?.to_owned(),
            name: name.to_owned(),
        })
        .filter(|_| is_network)
    }

    /// The watcher's resource path.
    pub fn path(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/networkWatchers/{}",
            self.subscription, self.resource_group, self.name
        )
    }

    /// Path of one capture of this watcher.
    pub fn capture_path(&self, capture: &str) -> String {
        format!("{}/packetCaptures/{capture}", self.path())
    }
}

/// Builds the PUT body for a new capture: `{"properties": {...}}` with only
/// the parameters that are set.
pub fn create_body(properties: &PacketCaptureProperties) -> Value {
    let mut props = properties.clone();
    props.provisioning_state = None;
    json!({ "properties": props })
}

impl ArmClient {
    /// Sends the PUT that creates (starts) a capture and returns ARM's
    /// first answer (`provisioningState` usually `Updating`) without
    /// waiting for the operation. The parameters are checked against the
    /// API's rules first.
    pub async fn begin_create_capture(
        &self,
        watcher: &WatcherRef,
        name: &str,
        properties: &PacketCaptureProperties,
    ) -> Result<Raw<PacketCapture>, ArmError> {
        let url = self.url(&watcher.capture_path(name), self.api_version());
        let resp = self.put_capture(&url, name, properties).await?;
        decode(&Method::PUT, &url, &resp)
    }

    async fn put_capture(
        &self,
        url: &str,
        name: &str,
        properties: &PacketCaptureProperties,
    ) -> Result<crate::client::Response, ArmError> {
        validate_name(name)?;
        let version = ApiVersion::parse(self.api_version())?;
        validate_properties(properties, &version)?;
        let body = create_body(properties);
        self.send(Method::PUT, url, Some(&body)).await
    }

    /// Creates (starts) a capture and waits until ARM has provisioned it.
    /// The parameters are checked against the API's rules first.
    pub async fn create_capture(
        &self,
        watcher: &WatcherRef,
        name: &str,
        properties: &PacketCaptureProperties,
    ) -> Result<Raw<PacketCapture>, ArmError> {
        let url = self.url(&watcher.capture_path(name), self.api_version());
        let resp = self.put_capture(&url, name, properties).await?;
        self.wait_lro(&url, &resp).await?;
        // Without an operation header the resource itself says when it is done.
        let deadline = Instant::now() + self.poll.timeout;
        loop {
            let pc: Raw<PacketCapture> = self.get_json(&url).await?;
            match &pc.value.properties.provisioning_state {
                Some(ProvisioningState::Updating) if Instant::now() < deadline => {
                    tokio::time::sleep(self.poll.interval).await;
                }
                Some(ProvisioningState::Updating) => {
                    return Err(ArmError::Timeout {
                        what: format!("capture {name} to be provisioned"),
                        seconds: self.poll.timeout.as_secs(),
                    });
                }
                Some(state @ (ProvisioningState::Failed | ProvisioningState::Canceled)) => {
                    return Err(ArmError::OperationFailed {
                        status: state.to_string(),
                        error: Box::new(crate::error::ErrorInfo::new(
                            "ProvisioningFailed",
                            format!("capture {name} is in provisioning state {state}"),
                        )),
                        ids: crate::error::RequestIds::default(),
                    });
                }
                _ => return Ok(pc),
            }
        }
    }

    /// Reads a capture.
    pub async fn get_capture(
        &self,
        watcher: &WatcherRef,
        name: &str,
    ) -> Result<Raw<PacketCapture>, ArmError> {
        let url = self.url(&watcher.capture_path(name), self.api_version());
        self.get_json(&url).await
    }

    /// Lists the captures of a watcher (every page).
    pub async fn list_captures(
        &self,
        watcher: &WatcherRef,
    ) -> Result<Vec<Raw<PacketCapture>>, ArmError> {
        let url = self.url(
            &format!("{}/packetCaptures", watcher.path()),
            self.api_version(),
        );
        self.list_json(&url).await
    }

    /// Queries the status of a capture (`POST .../queryStatus`).
    pub async fn capture_status(
        &self,
        watcher: &WatcherRef,
        name: &str,
    ) -> Result<Raw<PacketCaptureStatus>, ArmError> {
        let url = self.url(
            &format!("{}/queryStatus", watcher.capture_path(name)),
            self.api_version(),
        );
        let resp = self.send(Method::POST, &url, None).await?;
        if resp.status == 202 && (resp.location.is_some() || resp.async_operation.is_some()) {
            // Computed asynchronously (final-state-via: location): the
            // answer is at the end of the poll, whatever the 202 carried.
            if let Some(body) = self.wait_lro(&url, &resp).await? {
                let done = crate::client::Response { body, ..resp };
                return decode(&Method::POST, &url, &done);
            }
        }
        decode(&Method::POST, &url, &resp)
    }

    /// Stops a running capture and waits for the stop to complete.
    pub async fn stop_capture(&self, watcher: &WatcherRef, name: &str) -> Result<(), ArmError> {
        self.stop_or_delete(Method::POST, watcher, name, true).await
    }

    /// Asks for a capture to stop without waiting for the operation.
    pub async fn begin_stop_capture(
        &self,
        watcher: &WatcherRef,
        name: &str,
    ) -> Result<(), ArmError> {
        self.stop_or_delete(Method::POST, watcher, name, false)
            .await
    }

    /// Deletes a capture resource (the files in storage stay) and waits.
    pub async fn delete_capture(&self, watcher: &WatcherRef, name: &str) -> Result<(), ArmError> {
        self.stop_or_delete(Method::DELETE, watcher, name, true)
            .await
    }

    /// Asks for a capture resource to be deleted without waiting.
    pub async fn begin_delete_capture(
        &self,
        watcher: &WatcherRef,
        name: &str,
    ) -> Result<(), ArmError> {
        self.stop_or_delete(Method::DELETE, watcher, name, false)
            .await
    }

    async fn stop_or_delete(
        &self,
        method: Method,
        watcher: &WatcherRef,
        name: &str,
        wait: bool,
    ) -> Result<(), ArmError> {
        let path = if method == Method::POST {
            format!("{}/stop", watcher.capture_path(name))
        } else {
            watcher.capture_path(name)
        };
        let url = self.url(&path, self.api_version());
        let resp = self.send(method, &url, None).await?;
        if wait {
            self.wait_lro(&url, &resp).await?;
        }
        Ok(())
    }

    /// Polls `queryStatus` every `interval` until the capture is Stopped or
    /// Error, calling `on_poll` with each status. Fails with
    /// [`ArmError::Timeout`] after `timeout`.
    pub async fn wait_capture(
        &self,
        watcher: &WatcherRef,
        name: &str,
        interval: Duration,
        timeout: Duration,
        mut on_poll: impl FnMut(&PacketCaptureStatus),
    ) -> Result<Raw<PacketCaptureStatus>, ArmError> {
        let deadline = Instant::now() + timeout;
        loop {
            let status = self.capture_status(watcher, name).await?;
            on_poll(&status.value);
            if status
                .value
                .packet_capture_status
                .as_ref()
                .is_some_and(|s| s.is_final())
            {
                return Ok(status);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(ArmError::Timeout {
                    what: format!("capture {name} to stop"),
                    seconds: timeout.as_secs(),
                });
            }
            tokio::time::sleep(interval.min(deadline - now)).await;
        }
    }
}
