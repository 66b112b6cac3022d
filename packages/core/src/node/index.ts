export { NodeSessionRequest } from './request.js';
export { commitBeforeSend, responseHeld, responseSent, sendSessionError } from './respond.js';
