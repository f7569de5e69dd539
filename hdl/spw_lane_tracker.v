// SPDX-License-Identifier: Apache-2.0
// Per-lane (y, x) pixel coordinates of the current tile and the tap lane mask.
`timescale 1ns / 1ps
`default_nettype none

// spw_lane_tracker: follows models.shiftpw (lane_coords_start / _next,
// tile_flags, lane_mask).  Lane r of tile t holds flat pixel p = t*ROWS + r,
// (y, x) = divmod(p, W), tracked without a divider:
//  * a ripple chain over ROWS+1 lanes (x+1, wrap at W, carry into y) gives
//    the tile-0 coordinates and, from lane ROWS, (q, m) = divmod(ROWS, W);
//  * advancing a tile adds m to every x with one conditional wrap and
//    q (+1 on wrap) to every y; correct because m < W and x < W.
//
// Latency: init_i / restart_i / advance_i act at the clock edge (the new
// tile's mask is visible the next cycle); mask_o and inimg_o are
// combinational from the current coordinates and tap_i.
// Priority: init_i > restart_i > advance_i.  init_i also selects tile 0.
// tap_i = (dy+1)*3 + (dx+1), 0..8; tap_i > 8 gives an all-zero mask.
// Assumptions: 1 <= W, H <= 2^DIM_W - 1 (the decoder rejects 0); advance_i
// is not used beyond the layer's last tile plus one (y has ROWS+1 of
// headroom above H, enough for every lane of every real tile).
module spw_lane_tracker #(
    // pixel lanes per tile
    parameter integer ROWS = 8,
    // width of the image height / width fields
    parameter integer DIM_W = 10
) (
    input  wire              clk_i,
    input  wire              rst_ni,
    /* layer geometry */
    // latch h_i / w_i and go to tile 0 of that geometry
    input  wire              init_i,
    input  wire [DIM_W-1:0]  h_i,
    input  wire [DIM_W-1:0]  w_i,
    /* tile walk */
    // back to tile 0 (e.g. at a new group)
    input  wire              restart_i,
    // to the next tile
    input  wire              advance_i,
    /* lane flags of the current tile */
    input  wire [3:0]        tap_i,
    // lane's source pixel for tap_i is inside the image (lane_mask)
    output reg  [ROWS-1:0]   mask_o,
    // lane holds a real pixel (y < H), not padding of the last tile
    output reg  [ROWS-1:0]   inimg_o
);

    // q = ROWS div W <= ROWS
    localparam integer QW = $clog2(ROWS + 1);
    // y never exceeds H - 1 + ROWS + q + 1 within a layer (see Assumptions)
    localparam integer YW = DIM_W + $clog2(ROWS + 1) + 1;

    initial begin
        if (ROWS < 1 || DIM_W < 1) begin
            $error("%m: ROWS (%0d) and DIM_W (%0d) must be >= 1", ROWS, DIM_W);
            $finish;
        end
    end

    reg [DIM_W-1:0] h_q, w_q;
    reg [QW-1:0]    q_q;
    reg [DIM_W-1:0] m_q;
    reg [YW-1:0]    y_q [0:ROWS-1];
    reg [DIM_W-1:0] x_q [0:ROWS-1];

    /* ripple chain: tile-0 coordinates of lanes 0..ROWS for width cw */
    reg [DIM_W-1:0] cw;
    reg [QW-1:0]    cy [0:ROWS];
    reg [DIM_W-1:0] cx [0:ROWS];
    reg [DIM_W:0]   cnx;
    integer         k;

    always @* begin
        // init_i builds the chain from the new width, restart_i from the held one.
        cw    = init_i ? w_i : w_q;
        cy[0] = {QW{1'b0}};
        cx[0] = {DIM_W{1'b0}};
        for (k = 1; k <= ROWS; k = k + 1) begin
            cnx = {1'b0, cx[k - 1]} + 1'b1;
            if (cnx == {1'b0, cw}) begin
                cx[k] = {DIM_W{1'b0}};
                cy[k] = cy[k - 1] + 1'b1;
            end else begin
                cx[k] = cnx[DIM_W-1:0];
                cy[k] = cy[k - 1];
            end
        end
    end

    /* next-tile coordinates: x += m with one wrap, y += q + wrap */
    reg [DIM_W:0]   nx;
    reg [YW-1:0]    ny_n [0:ROWS-1];
    reg [DIM_W-1:0] nx_n [0:ROWS-1];
    integer         j;

    always @* begin
        for (j = 0; j < ROWS; j = j + 1) begin
            nx = {1'b0, x_q[j]} + {1'b0, m_q};
            if (nx >= {1'b0, w_q}) begin
                nx_n[j] = nx[DIM_W-1:0] - w_q;
                ny_n[j] = y_q[j] + {{(YW-QW){1'b0}}, q_q} + 1'b1;
            end else begin
                nx_n[j] = nx[DIM_W-1:0];
                ny_n[j] = y_q[j] + {{(YW-QW){1'b0}}, q_q};
            end
        end
    end

    integer i;

    always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
            h_q <= {DIM_W{1'b0}};
            w_q <= {DIM_W{1'b0}};
            q_q <= {QW{1'b0}};
            m_q <= {DIM_W{1'b0}};
            for (i = 0; i < ROWS; i = i + 1) begin
                y_q[i] <= {YW{1'b0}};
                x_q[i] <= {DIM_W{1'b0}};
            end
        end else begin
            if (init_i) begin
                h_q <= h_i;
                w_q <= w_i;
                q_q <= cy[ROWS];
                m_q <= cx[ROWS];
            end
            for (i = 0; i < ROWS; i = i + 1) begin
                if (init_i || restart_i) begin
                    y_q[i] <= {{(YW-QW){1'b0}}, cy[i]};
                    x_q[i] <= cx[i];
                end else if (advance_i) begin
                    y_q[i] <= ny_n[i];
                    x_q[i] <= nx_n[i];
                end
            end
        end
    end

    /* flags and tap mask (models.shiftpw.tile_flags / lane_mask) */
    reg          use_top, use_bot, use_left, use_right, tap_ok;
    reg          f_top, f_bot, f_left, f_right, f_in;
    integer      n;

    always @* begin
        use_top   = (tap_i == 4'd0) || (tap_i == 4'd1) || (tap_i == 4'd2);
        use_bot   = (tap_i == 4'd6) || (tap_i == 4'd7) || (tap_i == 4'd8);
        use_left  = (tap_i == 4'd0) || (tap_i == 4'd3) || (tap_i == 4'd6);
        use_right = (tap_i == 4'd2) || (tap_i == 4'd5) || (tap_i == 4'd8);
        tap_ok    = tap_i <= 4'd8;
        for (n = 0; n < ROWS; n = n + 1) begin
            f_in       = y_q[n] < {{(YW-DIM_W){1'b0}}, h_q};
            f_top      = y_q[n] != {YW{1'b0}};
            f_bot      = (y_q[n] + 1'b1) < {{(YW-DIM_W){1'b0}}, h_q};
            f_left     = x_q[n] != {DIM_W{1'b0}};
            f_right    = ({1'b0, x_q[n]} + 1'b1) < {1'b0, w_q};
            inimg_o[n] = f_in;
            mask_o[n]  = tap_ok & f_in & (f_top | ~use_top) & (f_bot | ~use_bot)
                         & (f_left | ~use_left) & (f_right | ~use_right);
        end
    end

endmodule

`default_nettype wire
